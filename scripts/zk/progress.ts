/**
 * Progress lines on stderr for the long build steps: "elapsed / expected" where the expectation
 * comes from rates measured on the reference machine (2 cores; /work/shared/TOOLCHAIN.md and
 * the figures below). Nothing here affects what is built.
 */

/**
 * Seconds per step, scaling linearly with the number of points or constraints. Measured on the
 * 2-core build machine while other work kept its load average near 10 (so an idle machine is
 * faster): known-tau ptau 2^12 / 2^14 / 2^16 in 6 / 28–53 / 179 s; setup and beacon of the
 * 53,340-constraint test profile in 430–504 s and 74–89 s. /work/shared/TOOLCHAIN.md has idle
 * figures for the snarkjs steps (setup of 262k constraints: 381 s).
 */
export const MEASURED_RATES = {
  /** TEST-ONLY known-tau ptau generator: seconds per 2^12 of ceremony size (2^power). */
  /** `groth16 setup` (zkey new): seconds per 1,000 constraints. */
  setupPer1000Constraints: 5,
  /** zkey beacon contribution: seconds per 1,000 constraints. */
  beaconPer1000Constraints: 1,
} as const;

export interface ProgressOptions {
  /** Prefix of every line, e.g. `[zk test]`. */
  readonly prefix: string;
  /** Print nothing when false. */
  readonly enabled: boolean;
}

/** Reports one long step: a line when it starts, a heartbeat every few seconds, one when done. */
export class Step {
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: ProgressOptions,
    private readonly label: string,
    /** Expected duration in seconds; 0 when there is no estimate yet. */
    expectedSeconds: number,
  ) {
    if (!opts.enabled) return;
    const expected = expectedSeconds > 0 ? `~${formatSeconds(expectedSeconds)}` : "no estimate yet";
    console.error(`${opts.prefix} ${label}: started, expected ${expected}`);
    this.#timer = setInterval(() => {
      console.error(`${opts.prefix} ${label}: ${formatSeconds(this.seconds())} / ${expected}`);
    }, 10_000);
    this.#timer.unref();
  }

  /** Seconds since the step started. */
  seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** Ends the step and returns its duration in seconds. */
  done(note = ""): number {
    if (this.#timer) clearInterval(this.#timer);
    const s = this.seconds();
    if (this.opts.enabled) {
      console.error(`${this.opts.prefix} ${this.label}: done in ${formatSeconds(s)}${note ? ` (${note})` : ""}`);
    }
    return s;
  }
}

export function formatSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
