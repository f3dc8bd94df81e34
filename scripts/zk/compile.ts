/**
 * circom 2 compilation (the `circom2` WebAssembly build, `--O2`), cached by content.
 *
 * A compiled circuit lives in `build/circom/<name>-<key>/` where `key` hashes the main source,
 * every `.circom` file under `circuits/`, the circom2 version and the flags. An unchanged
 * circuit is never compiled twice.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withLock } from "./lock.ts";

const require = createRequire(import.meta.url);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CIRCUITS_DIR = path.join(ROOT, "circuits");
export const BUILD_DIR = path.join(ROOT, "build");

const FLAGS = ["--r1cs", "--wasm", "--sym", "--O2"] as const;

export interface CompileRequest {
  /** Short name, used in paths: `[a-z0-9_-]+`. */
  readonly name: string;
  /** Full source of the main component file (it may include files from circuits/ and circomlib). */
  readonly source: string;
}

export interface CompiledCircuit {
  readonly dir: string;
  readonly r1cs: string;
  readonly wasm: string;
  readonly sym: string;
  readonly key: string;
  /** True when this call compiled; false when the cache answered. */
  readonly compiled: boolean;
  readonly seconds: number;
}

function listCircomFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listCircomFiles(full));
    else if (entry.endsWith(".circom")) out.push(full);
  }
  return out;
}

/** Hash of every circuit source, the circom2 version and the flags: the cache key's base. */
export function circuitSourcesHash(): string {
  const h = createHash("sha256");
  const circom2Version = (require("circom2/package.json") as { version: string }).version;
  const circomlibVersion = (require("circomlib/package.json") as { version: string }).version;
  h.update(`circom2@${circom2Version} circomlib@${circomlibVersion} ${FLAGS.join(" ")}\n`);
  for (const file of listCircomFiles(CIRCUITS_DIR)) {
    h.update(path.relative(ROOT, file));
    h.update("\0");
    h.update(readFileSync(file));
    h.update("\0");
  }
  return h.digest("hex");
}

export function compileKey(req: CompileRequest): string {
  return createHash("sha256").update(circuitSourcesHash()).update(req.source).digest("hex").slice(0, 16);
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && !/error\[/i.test(output)) resolve();
      else reject(new Error(`circom2 failed (exit ${code}):\n${output}`));
    });
  });
}

/**
 * Runs circom2 on `mainFile` with `flags`, writing into `outDir`; includes resolve against
 * `node_modules/` and `circuits/`. circom2 runs under WASI and sees only the working directory and
 * below: it runs from ROOT with relative paths.
 */
export async function runCircom2(mainFile: string, outDir: string, flags: readonly string[]): Promise<void> {
  await run(
    process.execPath,
    [
      require.resolve("circom2/cli.js"),
      path.relative(ROOT, mainFile),
      ...flags,
      "-l",
      "node_modules",
      "-l",
      "circuits",
      "-o",
      path.relative(ROOT, outDir),
    ],
    ROOT,
  );
}

/**
 * Compiles `req.source` unless an identical compilation is cached. Includes resolve against
 * `circuits/` and `node_modules/` (so write `include "circomlib/circuits/poseidon.circom";`
 * and `include "batch.circom";`).
 */
export async function compile(req: CompileRequest): Promise<CompiledCircuit> {
  if (!/^[a-z0-9_-]+$/.test(req.name)) throw new Error(`bad circuit name ${JSON.stringify(req.name)}`);
  const key = compileKey(req);
  const dir = path.join(BUILD_DIR, "circom", `${req.name}-${key}`);
  const result = (compiled: boolean, seconds: number): CompiledCircuit => ({
    dir,
    r1cs: path.join(dir, "main.r1cs"),
    wasm: path.join(dir, "main_js", "main.wasm"),
    sym: path.join(dir, "main.sym"),
    key,
    compiled,
    seconds,
  });
  if (existsSync(path.join(dir, "DONE"))) return result(false, 0);

  // Test files run side by side (test:circuits): one compiles, the others wait for its result.
  return withLock(dir, async () => {
    if (existsSync(path.join(dir, "DONE"))) return result(false, 0);
    const started = performance.now();
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(path.join(tmp, "main.circom"), req.source);
    await runCircom2(path.join(tmp, "main.circom"), tmp, FLAGS);
    writeFileSync(path.join(tmp, "DONE"), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return result(true, (performance.now() - started) / 1000);
  });
}
