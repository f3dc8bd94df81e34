/**
 * Child processes of the demo and the end-to-end test, each the leader of its own process
 * group (`detached`), so stopping one stops everything it started (npx → sh → node, Next.js
 * workers, prover processes). Groups still alive when this process exits (an uncaught error, a
 * `process.exit` mid-shutdown) get SIGKILL from an exit hook; only a SIGKILL of this process
 * itself can leave them behind.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { DemoError } from "./errors.ts";

/** Process-group ids of the children still running. */
const live = new Set<number>();
process.on("exit", () => {
  for (const pgid of live) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit signal or code once the process has exited. */
  readonly exited: Promise<string>;
  /** The last lines of stdout and stderr, for error messages. */
  tail(): string;
  /** Calls `listener` with every later output line; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Each output line (stdout and stderr), e.g. to forward or parse logs. */
  readonly onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

const TAIL_LINES = 40;

/** Starts `command` as the leader of a new process group. */
export function startProcess(opts: StartOptions): Managed {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? String(code))),
  );
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of ["stdout", "stderr"] as const) {
    createInterface({ input: child[stream]! }).on("line", (line) => {
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      opts.onLine?.(line, stream);
      for (const listener of listeners) listener(line);
    });
  }
  return {
    name: opts.name,
    child,
    exited,
    tail: () => lines.join("\n"),
    onLine: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Resolves with the first output line that `match` accepts; rejects on exit or after `timeoutMs`. */
export function waitForLine<T>(p: Managed, match: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DemoError("PROCESS_NOT_READY", `${p.name} not ready after ${timeoutMs} ms:\n${p.tail()}`)),
      timeoutMs,
    );
    const unsubscribe = p.onLine((line) => {
      const found = match(line);
      if (found === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(found);
    });
    void p.exited.then((how) => {
      clearTimeout(timer);
      unsubscribe();
      reject(new DemoError("PROCESS_EXITED", `${p.name} exited (${how}) before it was ready:\n${p.tail()}`));
    });
  });
}

/** Signals the whole process group; SIGKILL after `graceMs`. Resolves once the leader exited. */
export async function stopProcess(p: Managed, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) {
    signalGroup(p, "SIGTERM");
    const timer = setTimeout(() => signalGroup(p, "SIGKILL"), graceMs);
    await p.exited;
    clearTimeout(timer);
  }
  signalGroup(p, "SIGKILL"); // stragglers of an exited leader
  if (p.child.pid !== undefined) live.delete(p.child.pid);
}

function signalGroup(p: Managed, signal: NodeJS.Signals): void {
  if (p.child.pid === undefined) return;
  try {
    process.kill(-p.child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Stops processes in reverse start order. */
export async function stopAll(processes: readonly Managed[]): Promise<void> {
  for (const p of [...processes].reverse()) await stopProcess(p);
}
