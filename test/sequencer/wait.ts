/**
 * Waiting in tests that drive a venue child process, a Hardhat node or both: bounded polls, so a
 * stuck stage fails the test with what it last saw instead of hanging it.
 */

/** `JSON.stringify` replacer for values holding bigints. */
export function bigints(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads `read()` every `everyMs` until `ok` holds for it and returns that value; throws after
 * `ms` with the last value read.
 */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 180_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + ms;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last, bigints)}`);
    await sleep(everyMs);
    last = await read();
  }
  return last;
}

/** Polls `check` every 50 ms until it holds; throws after `ms` naming `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  await until(
    what,
    async () => await check(),
    (ok) => ok,
    ms,
    50,
  );
}
