/**
 * Running the existing benchmark scripts as child processes (each loads what it needs:
 * better-sqlite3 and Hardhat's EDR cannot share a process) and reading their JSON.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Hardhat's CLI, run under this process's Node (22). */
export const HARDHAT_CLI = path.join(ROOT, "node_modules/hardhat/dist/src/cli.js");

export class BenchError extends Error {
  readonly code = "BENCH";
}

/** Process groups of the children still running. */
const runningGroups = new Set<number>();

function stopGroup(group: number): void {
  try {
    process.kill(-group, "SIGTERM");
  } catch {
    // the group has already exited
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const group of runningGroups) stopGroup(group);
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

/**
 * Runs `node <args>` from the project root in its own process group, streams its stderr to our
 * stderr as progress, and returns its stdout. On `timeoutMs` the whole group (the script and
 * whatever it started: Hardhat node, sequencer) is sent SIGTERM, and so is it when this process
 * is interrupted.
 */
export function runNode(label: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const group = child.pid;
    if (group !== undefined) runningGroups.add(group);
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    let stderrTail = "";
    child.stderr.on("data", (d: Buffer) => {
      process.stderr.write(d);
      stderrTail = (stderrTail + d.toString()).slice(-2000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (group !== undefined) stopGroup(group);
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (group !== undefined) runningGroups.delete(group);
      if (timedOut) reject(new BenchError(`${label} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
      else if (code !== 0)
        reject(new BenchError(`${label} exited ${signal ?? code}: ${errorLine(stderrTail) ?? "(no error output)"}`));
      else resolve(stdout);
    });
  });
}

/** Runs a TypeScript file under tsx. */
export function runTs(label: string, file: string, timeoutMs: number): Promise<string> {
  return runNode(label, ["--import", "tsx", path.join(ROOT, file)], timeoutMs);
}

/** Parses a JSON file below the project root. */
export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(path.join(ROOT, file), "utf8")) as unknown;
}

/** The number at a dotted `path` of `json`; throws when the producing script changed its format. */
export function numberAt(json: unknown, dotted: string, source: string): number {
  let v: unknown = json;
  for (const key of dotted.split(".")) {
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new BenchError(`${source} has no number at ${dotted} (its output format changed?)`);
  }
  return v;
}

/** The last line of `stderr` that names an error (`SomethingError: …`), else its last line. */
function errorLine(stderr: string): string | null {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith("Node.js v"));
  return lines.findLast((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? null;
}
