/**
 * A node:test reporter that fails the run when any test or suite failed, and names them.
 *
 * Node's runner (22.x) reports a suite whose `before` or `after` hook throws as `not ok`, yet
 * counts no failed test ("# fail 0") and exits 0: a clean-up that fails (a file still open, a
 * process left running) would pass CI unseen. Every test script runs this reporter (to stderr)
 * beside the TAP one (to stdout), so such a failure fails the script.
 */
import type { TestEvent } from "node:test/reporters";

export default async function* failOnAny(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const failed: string[] = [];
  for await (const event of source)
    if (event.type === "test:fail") failed.push(`${event.data.name} (${event.data.file ?? "?"})`);
  if (failed.length > 0) {
    process.exitCode = 1;
    yield `\n${failed.length} failed (tests, or suites whose hooks threw):\n${failed.map((f) => `  ${f}\n`).join("")}`;
  }
}
