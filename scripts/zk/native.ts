/**
 * circom's native C++ witness generator, built with the machine's compiler (Debian's
 * `build-essential nasm libgmp-dev nlohmann-json3-dev`) and cached like the other artifacts.
 * prover/witness.ts runs it; the wasm calculator stays the fallback.
 *
 * Two cached steps:
 * 1. `circom2 --c --O2` generates the C++ sources into `build/native/src-<name>-<compileKey>/`
 *    (the compile key of scripts/zk/compile.ts: every circuit source, circom2 and circomlib
 *    versions, the main source).
 * 2. g++ and nasm build them into `build/native/<name>-<key>/witness` (+ `witness.dat`); `key`
 *    hashes the generated sources, the toolchain's identity (g++, nasm, GMP and nlohmann json
 *    versions), the flags and this file's version.
 *
 * The generated `main.cpp` of circom 2.2.3 crashes at start when a bus has more than 10 fields
 * (it reserves `calloc(10, ...)` field definitions instead of the bus's length, and tx.circom's
 * buses are larger): the build patches that one line and fails loudly if circom's output no
 * longer contains it. The circuit's code is one huge C++ file (unrolled templates: 25 MB for the
 * test profile), so the build splits it at function boundaries and compiles the parts in
 * parallel, one job per core.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { BUILD_DIR, compileKey, runCircom2 } from "./compile.ts";
import type { CompileRequest } from "./compile.ts";
import { withLock } from "./lock.ts";
import { Step } from "./progress.ts";
import type { ProgressOptions } from "./progress.ts";

/** Bump when the output for the same generated sources and toolchain changes. */
const NATIVE_VERSION = 1;
export const NATIVE_BUILD_DIR = path.join(BUILD_DIR, "native");
const CIRCOM_FLAGS = ["--c", "--O2"] as const;
/**
 * g++ flags for the circuit's code. circom's Makefile uses -O3; -O1 compiles the same code in
 * about two thirds of the time and its witness is within tens of milliseconds (docs/build.md).
 */
export const CXX_FLAGS = ["-std=c++11", "-O1", "-I."] as const;
/** circom's own runtime files (small, hot): its Makefile's flags. */
const RUNTIME_CXX_FLAGS = ["-std=c++11", "-O3", "-I."] as const;
/**
 * Seconds per MB of generated circuit C++ at CXX_FLAGS, per core: the test profile's 24 MB took
 * 173 s on the 2-core build machine with a load average near 7. Only the progress estimate
 * uses it.
 */
const SECONDS_PER_MB = 14;

/** The one line of circom 2.2.3's main.cpp that the build patches (see the file comment). */
export const BUS_CALLOC_BUG = "p.defs = (IOFieldDef*)calloc(10, sizeof(IOFieldDef));";
const BUS_CALLOC_FIX = "p.defs = (IOFieldDef*)calloc(p.len, sizeof(IOFieldDef));";

export class NativeBuildError extends Error {
  readonly code = "NATIVE_WITNESS_BUILD";
  constructor(message: string) {
    super(message);
    this.name = "NativeBuildError";
  }
}

export interface Toolchain {
  readonly available: true;
  /** g++, nasm, GMP and nlohmann json versions: part of the cache key. */
  readonly identity: string;
}
export interface NoToolchain {
  readonly available: false;
  /** What is missing, for a person to act on. */
  readonly reason: string;
}

function capture(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

let toolchainCache: Promise<Toolchain | NoToolchain> | undefined;

/** Whether g++, nasm, GMP and nlohmann json are installed, and their versions. */
export function detectToolchain(): Promise<Toolchain | NoToolchain> {
  toolchainCache ??= (async (): Promise<Toolchain | NoToolchain> => {
    const missing: string[] = [];
    const gxx = await capture("g++", ["--version"]).catch(() => null);
    if (gxx === null) missing.push("g++ (build-essential)");
    const nasm = await capture("nasm", ["-v"]).catch(() => null);
    if (nasm === null) missing.push("nasm");
    let headers = "";
    if (gxx !== null) {
      for (const [header, pkg] of [
        ["gmp.h", "libgmp-dev"],
        ["nlohmann/json.hpp", "nlohmann-json3-dev"],
      ] as const) {
        const macros = await capture(
          "g++",
          ["-x", "c++", "-std=c++11", "-E", "-dM", "-"],
          `#include <${header}>\n`,
        ).catch(() => null);
        if (macros === null) missing.push(`${header} (${pkg})`);
        else
          headers += macros
            .split("\n")
            .filter((l) => /#define (__GNU_MP_VERSION\w*|NLOHMANN_JSON_VERSION_\w+) /.test(l))
            .join(";");
      }
    }
    if (missing.length > 0)
      return {
        available: false,
        reason: `missing ${missing.join(", ")}; on Debian: apt-get install build-essential nasm libgmp-dev nlohmann-json3-dev`,
      };
    return {
      available: true,
      identity: `${gxx!.split("\n")[0]} | ${nasm!.trim()} | ${headers} | ${os.arch()}-${os.platform()}`,
    };
  })();
  return toolchainCache;
}

export interface NativeWitness {
  readonly available: true;
  /** The generator binary; `<binary>.dat` sits beside it. */
  readonly binary: string;
  readonly key: string;
  /** False when the cache answered. */
  readonly built: boolean;
}

interface NativeManifest {
  readonly name: string;
  readonly key: string;
  readonly compileKey: string;
  readonly generatedSourcesSha256: string;
  readonly toolchain: string;
  readonly cxxFlags: readonly string[];
  readonly parts: number;
  readonly generatedBytes: number;
  readonly seconds: { readonly generate: number; readonly compile: number };
}

/** Runs a build command; its output is shown only if it fails. */
function run(cmd: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else
        reject(
          new NativeBuildError(`${cmd} ${args.join(" ")} failed (exit ${code}) in ${cwd}:\n${output.slice(-4000)}`),
        );
    });
  });
}

/** Step 1: circom2's C++ output for `req`, cached by its compile key. Returns the `_cpp` dir. */
async function generate(req: CompileRequest, progress: ProgressOptions): Promise<{ dir: string; seconds: number }> {
  const key = compileKey(req);
  const dir = path.join(NATIVE_BUILD_DIR, `src-${req.name}-${key}`);
  const cppDir = path.join(dir, "witness_cpp");
  if (existsSync(path.join(dir, "DONE"))) return { dir: cppDir, seconds: 0 };
  return withLock(dir, async () => {
    if (existsSync(path.join(dir, "DONE"))) return { dir: cppDir, seconds: 0 };
    const step = new Step(progress, `native witness: generate C++ (circom2 ${CIRCOM_FLAGS.join(" ")})`, 0);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      // circom reserves the name `main` for --c output: the file is witness.circom.
      writeFileSync(path.join(tmp, "witness.circom"), req.source);
      await runCircom2(path.join(tmp, "witness.circom"), tmp, CIRCOM_FLAGS).catch((e: unknown) => {
        throw new NativeBuildError(e instanceof Error ? e.message : String(e));
      });
      for (const f of ["witness.cpp", "witness.dat", "main.cpp", "fr.asm", "calcwit.cpp", "fr.cpp"])
        if (!existsSync(path.join(tmp, "witness_cpp", f)))
          throw new NativeBuildError(`circom2 --c wrote no witness_cpp/${f} in ${tmp}`);
      writeFileSync(path.join(tmp, "DONE"), new Date().toISOString());
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return { dir: cppDir, seconds: step.done() };
  });
}

/** Patches circom 2.2.3's bus-field calloc in main.cpp; throws if the line is not there once. */
export function patchMainCpp(source: string): string {
  const count = source.split(BUS_CALLOC_BUG).length - 1;
  if (count !== 1)
    throw new NativeBuildError(
      `circom's generated main.cpp has ${count} copies of \`${BUS_CALLOC_BUG}\` (expected exactly 1): ` +
        `circom changed; check whether its bus-field allocation bug is fixed and update scripts/zk/native.ts`,
    );
  return source.replace(BUS_CALLOC_BUG, BUS_CALLOC_FIX);
}

/** Marker circom writes before the circuit's function definitions. */
const DEFINITIONS_MARKER = "\n// function declarations\n";

/**
 * Splits circom's circuit C++ (`witness.cpp`) into `parts` translation units at top-level
 * function boundaries. The first part keeps the whole head (includes, prototypes, tables);
 * the others get the includes, the prototypes and a prototype of every function defined after
 * the marker. Concatenating the parts' bodies gives back the original definitions exactly.
 */
export function splitCircuitCpp(source: string, parts: number): string[] {
  const at = source.indexOf(DEFINITIONS_MARKER);
  if (at < 0 || source.indexOf(DEFINITIONS_MARKER, at + 1) >= 0)
    throw new NativeBuildError("circom's generated circuit C++ changed: no single `// function declarations` line");
  const head = source.slice(0, at + 1);
  const body = source.slice(at + 1);
  // Top-level definitions: brace depth returns to 0 (no braces or quotes in circom's strings,
  // but strings are skipped anyway).
  const defs: string[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}") {
      depth--;
      if (depth < 0) throw new NativeBuildError("unbalanced braces in circom's generated circuit C++");
      if (depth === 0) {
        let end = i + 1;
        while (body[end] === "\n") end++;
        defs.push(body.slice(start, end));
        start = end;
      }
    }
  }
  if (depth !== 0 || body.slice(start).trim() !== "")
    throw new NativeBuildError("circom's generated circuit C++ does not end with a complete definition");
  if (defs.join("") !== body) throw new NativeBuildError("splitting circom's circuit C++ lost text");
  const prototypes = defs.map((d) => {
    const text = d.replace(/^(\s*\/\/[^\n]*\n)+/, "").trimStart();
    const brace = text.indexOf("{");
    const signature = text.slice(0, brace).trim();
    if (!/^[A-Za-z_][\w\s*&:<>]*\b[A-Za-z_]\w*\s*\([^;{}]*\)$/.test(signature))
      throw new NativeBuildError(`unexpected top-level definition in circom's C++: ${signature.slice(0, 120)}`);
    return `${signature};`;
  });
  // What the other parts need from the head: includes, prototypes, the template function tables
  // (as extern) and prototypes of the functions the head defines (release_memory_component...).
  const headLines = head.split("\n");
  const shared = [
    ...headLines.filter((l) => l.startsWith("#include")),
    ...headLines.filter((l) => /^[A-Za-z_][\w\s*]*\([^;{}]*\);$/.test(l)),
    ...headLines.flatMap((l) => {
      const table = /^(Circom_TemplateFunction \w+\[\d+\]) = \{/.exec(l);
      if (table) return [`extern ${table[1]};`];
      const fn = /^([A-Za-z_][\w\s*]*\b\w+\s*\([^;{}]*\))\s*\{/.exec(l);
      return fn ? [`${fn[1]};`] : [];
    }),
  ].join("\n");
  const n = Math.max(1, Math.min(parts, defs.length));
  const targetSize = body.length / n;
  const chunks: string[][] = [];
  let current: string[] = [];
  let currentSize = 0;
  for (const def of defs) {
    if (currentSize >= targetSize && chunks.length < n - 1) {
      chunks.push(current);
      current = [];
      currentSize = 0;
    }
    current.push(def);
    currentSize += def.length;
  }
  chunks.push(current);
  const note = "// split by scripts/zk/native.ts: prototypes of the definitions across parts\n";
  return chunks.map((chunk, p) =>
    p === 0
      ? `${head}${note}${prototypes.join("\n")}\n\n${chunk.join("")}`
      : `${shared}\n${note}${prototypes.join("\n")}\n\n${chunk.join("")}`,
  );
}

/** Runs `tasks` with at most `jobs` at a time. */
async function parallel(tasks: ReadonlyArray<() => Promise<void>>, jobs: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
}

function sha256Dir(dir: string): string {
  const h = createHash("sha256");
  for (const f of readdirSync(dir).sort()) {
    h.update(f);
    h.update("\0");
    h.update(readFileSync(path.join(dir, f)));
    h.update("\0");
  }
  return h.digest("hex");
}

/**
 * Builds (or finds in the cache) the native witness generator of a circuit. Returns a
 * NoToolchain when the compiler or a library is missing (the caller says so; provers then use
 * the wasm calculator). Any other failure throws.
 */
export async function ensureNativeWitness(
  req: CompileRequest,
  progress: ProgressOptions,
): Promise<NativeWitness | NoToolchain> {
  const toolchain = await detectToolchain();
  if (!toolchain.available) return toolchain;
  const gen = await generate(req, progress);
  const sourcesSha = sha256Dir(gen.dir);
  const key = nativeKey(sourcesSha, toolchain);
  const dir = path.join(NATIVE_BUILD_DIR, `${req.name}-${key}`);
  const result = (built: boolean): NativeWitness => ({
    available: true,
    binary: path.join(dir, "witness"),
    key,
    built,
  });
  if (existsSync(path.join(dir, "DONE"))) return result(false);
  return withLock(dir, async () => {
    if (existsSync(path.join(dir, "DONE"))) return result(false);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      for (const f of readdirSync(gen.dir)) copyFileSync(path.join(gen.dir, f), path.join(tmp, f));
      writeFileSync(path.join(tmp, "main.cpp"), patchMainCpp(readFileSync(path.join(tmp, "main.cpp"), "utf8")));
      const circuitCpp = readFileSync(path.join(tmp, "witness.cpp"), "utf8");
      const jobs = Math.max(1, os.availableParallelism());
      const units = splitCircuitCpp(circuitCpp, 2 * jobs);
      rmSync(path.join(tmp, "witness.cpp"));
      units.forEach((u, i) => writeFileSync(path.join(tmp, `witness_part${i}.cpp`), u));
      const mb = circuitCpp.length / 2 ** 20;
      const step = new Step(
        progress,
        `native witness: g++ ${CXX_FLAGS[1]} of ${mb.toFixed(0)} MB of circuit C++ (${units.length} parts, ${jobs} jobs)`,
        previousCompileSeconds(req.name) || (SECONDS_PER_MB * mb) / jobs,
      );
      const objects: string[] = [];
      const tasks: Array<() => Promise<void>> = [];
      units.forEach((_, i) => {
        objects.push(`witness_part${i}.o`);
        tasks.push(() => run("g++", ["-c", `witness_part${i}.cpp`, ...CXX_FLAGS, "-o", `witness_part${i}.o`], tmp));
      });
      for (const f of ["main", "calcwit", "fr"]) {
        objects.push(`${f}.o`);
        tasks.push(() => run("g++", ["-c", `${f}.cpp`, ...RUNTIME_CXX_FLAGS, "-o", `${f}.o`], tmp));
      }
      objects.push("fr_asm.o");
      tasks.push(() => run("nasm", ["-felf64", "fr.asm", "-o", "fr_asm.o"], tmp));
      await parallel(tasks, jobs);
      await run("g++", ["-o", "witness", ...objects, "-lgmp", "-Wl,-z,noexecstack"], tmp);
      const compileSeconds = step.done();
      const out = `${tmp}.out`;
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      renameSync(path.join(tmp, "witness"), path.join(out, "witness"));
      renameSync(path.join(tmp, "witness.dat"), path.join(out, "witness.dat"));
      const manifest: NativeManifest = {
        name: req.name,
        key,
        compileKey: compileKey(req),
        generatedSourcesSha256: sourcesSha,
        toolchain: toolchain.identity,
        cxxFlags: CXX_FLAGS,
        parts: units.length,
        generatedBytes: circuitCpp.length,
        seconds: { generate: Math.round(gen.seconds * 10) / 10, compile: Math.round(compileSeconds * 10) / 10 },
      };
      writeFileSync(path.join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
      writeFileSync(path.join(out, "DONE"), "");
      rmSync(tmp, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      renameSync(out, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(`${tmp}.out`, { recursive: true, force: true });
      throw err;
    }
    return result(true);
  });
}

function nativeKey(generatedSha: string, toolchain: Toolchain): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        native: NATIVE_VERSION,
        generated: generatedSha,
        toolchain: toolchain.identity,
        cxx: CXX_FLAGS,
        runtimeCxx: RUNTIME_CXX_FLAGS,
        patch: [BUS_CALLOC_BUG, BUS_CALLOC_FIX],
      }),
    )
    .digest("hex")
    .slice(0, 16);
}

/** The cached native generator of `req` for this toolchain, without building anything. */
export async function cachedNativeWitness(req: CompileRequest): Promise<string | undefined> {
  const toolchain = await detectToolchain();
  if (!toolchain.available) return undefined;
  const src = path.join(NATIVE_BUILD_DIR, `src-${req.name}-${compileKey(req)}`);
  if (!existsSync(path.join(src, "DONE"))) return undefined;
  const dir = path.join(
    NATIVE_BUILD_DIR,
    `${req.name}-${nativeKey(sha256Dir(path.join(src, "witness_cpp")), toolchain)}`,
  );
  return existsSync(path.join(dir, "DONE")) ? path.join(dir, "witness") : undefined;
}

/** The compile seconds of the most recent earlier native build of `name` (progress estimate). */
function previousCompileSeconds(name: string): number {
  if (!existsSync(NATIVE_BUILD_DIR)) return 0;
  let best = 0;
  for (const entry of readdirSync(NATIVE_BUILD_DIR)) {
    const file = path.join(NATIVE_BUILD_DIR, entry, "manifest.json");
    if (!entry.startsWith(`${name}-`) || !existsSync(file)) continue;
    best = Math.max(best, (JSON.parse(readFileSync(file, "utf8")) as NativeManifest).seconds.compile);
  }
  return best;
}

/**
 * Copies a native generator into a circuit build directory as `<dir>/witness/witness` (+ .dat),
 * where prover/witness.ts finds it beside the zkey. Atomic: a reader sees both files or none.
 */
export async function installBeside(native: NativeWitness, buildDir: string): Promise<string> {
  const target = path.join(buildDir, "witness");
  const binary = path.join(target, "witness");
  const stamp = path.join(target, "KEY");
  const current = (): boolean => existsSync(stamp) && readFileSync(stamp, "utf8") === native.key;
  if (current()) return binary;
  return withLock(target, async () => {
    if (!current()) install(native, target);
    return binary;
  });
}

function install(native: NativeWitness, target: string): void {
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  copyFileSync(native.binary, path.join(tmp, "witness"));
  copyFileSync(`${native.binary}.dat`, path.join(tmp, "witness.dat"));
  writeFileSync(path.join(tmp, "KEY"), native.key);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}
