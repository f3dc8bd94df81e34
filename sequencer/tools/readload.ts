/**
 * Account reads from a process of their own, for the `reads` figures of bench/sequencer.ts
 * (docs/benchmarks.md "Account reads off the core's thread").
 *
 * CLI: `npx tsx sequencer/tools/readload.ts '<ReadLoadOptions as JSON>'` keeps `concurrency`
 * session-authenticated GETs in flight against `url` for `seconds`, each on the next route and
 * the next account's token in turn, and prints a `ReadLoadReport` as JSON: reads answered, their
 * latency percentiles, and the count of each non-200 status.
 */

export interface ReadLoadOptions {
  /** Base URL of the endpoint (`http://127.0.0.1:port`). */
  readonly url: string;
  /** Session tokens, one per account. */
  readonly tokens: readonly string[];
  /** Paths to read, e.g. `/v1/account`. */
  readonly routes: readonly string[];
  readonly concurrency: number;
  readonly seconds: number;
}

export interface ReadLoadReport {
  /** Reads answered 200. */
  readonly reads: number;
  readonly ms: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Count of each other status (`"error"`: no answer). */
  readonly failures: Readonly<Record<string, number>>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? "") as ReadLoadOptions;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let next = 0;
  const start = performance.now();
  const end = start + o.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const i = next++;
      const token = o.tokens[i % o.tokens.length]!;
      const route = o.routes[i % o.routes.length]!;
      const t = performance.now();
      try {
        const res = await fetch(o.url + route, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        if (res.status === 200) latencies.push(performance.now() - t);
        else failures[String(res.status)] = (failures[String(res.status)] ?? 0) + 1;
      } catch {
        failures.error = (failures.error ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const ms = performance.now() - start;
  latencies.sort((a, b) => a - b);
  const report: ReadLoadReport = {
    reads: latencies.length,
    ms: Math.round(ms),
    p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
    failures,
  };
  process.stdout.write(JSON.stringify(report) + "\n");
}

await main();
