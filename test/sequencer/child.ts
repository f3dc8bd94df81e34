/** The sequencer as a child process (`sequencer/main.ts`), for crash and load tests. */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface ChildVenue {
  readonly url: string;
  readonly process: ChildProcess;
  /** Resolves with the exit signal or code. */
  readonly exited: Promise<string>;
}

/** Starts `sequencer/main.ts` under this Node with `env`; resolves once it listens. */
export async function startChild(env: Record<string, string>): Promise<ChildVenue> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "sequencer/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, ...env, TESSERA_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? String(code))),
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`sequencer did not start: ${stderr}`)), 60_000);
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "listening" && entry.url !== undefined) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`sequencer exited (${how}) before listening: ${stderr}`));
    });
  });
  return { url, process: child, exited };
}

export async function stopChild(child: ChildVenue, signal: NodeJS.Signals = "SIGTERM"): Promise<string> {
  child.process.kill(signal);
  return child.exited;
}

/** Keeps the venue's log lines for diagnosis, in .cache/<area>/<name>.log. */
export function keepLog(venue: ChildVenue, area: string, name: string): void {
  const dir = path.join(ROOT, ".cache", area);
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(path.join(dir, `${name}.log`));
  venue.process.stdout!.on("data", (d: Buffer) => out.write(d));
  venue.process.stderr!.on("data", (d: Buffer) => out.write(d));
}
