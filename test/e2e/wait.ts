/**
 * Waiting in the end-to-end tests: polls `probe` every `everyMs` until it returns a value other
 * than undefined (errors count as "not yet"); throws after `tries` polls with the last error.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  everyMs = 200,
  tries = 600,
): Promise<T> {
  let last: unknown = null;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last === null ? "" : `: ${String(last)}`}`);
}
