/**
 * Exact display formatting and parsing of the protocol's fixed-point integers.
 *
 * Every amount in Tessera is a bigint with a fixed number of decimals (docs/protocol.md §1):
 * USDC amounts 6, sizes 4, prices 2 (cents). This module is the only place the app turns them
 * into text or text into them, and it never goes through JS `number`, so a displayed balance is
 * exactly the state's balance, digit for digit.
 */
import { getAddress, isAddress } from "viem";
import { PRICE_DECIMALS, QUOTE_DECIMALS, SIZE_DECIMALS } from "../../protocol/constants.ts";

/** A number a person typed that the app cannot turn into an amount. */
export class AmountInputError extends Error {
  readonly code: "EMPTY_AMOUNT" | "NOT_A_NUMBER" | "TOO_MANY_DECIMALS" | "NEGATIVE_AMOUNT";

  constructor(code: AmountInputError["code"], message: string) {
    super(message);
    this.name = "AmountInputError";
    this.code = code;
  }
}

export interface FormatOptions {
  /** Fraction digits to show (default: all `decimals`). Rounds half away from zero. */
  readonly fraction?: number;
  /** Group the integer part in thousands with commas (default true). */
  readonly group?: boolean;
  /** Prefix positive values with "+" (for PnL and changes; default false). */
  readonly plus?: boolean;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Formats the fixed-point integer `value` (an integer count of 10^-decimals units) exactly.
 * `formatFixed(4500375000n, 6, { fraction: 2 })` is `"4,500.38"`.
 */
export function formatFixed(value: bigint, decimals: number, options: FormatOptions = {}): string {
  const fraction = options.fraction ?? decimals;
  const negative = value < 0n;
  let magnitude = negative ? -value : value;
  let shown = decimals;
  if (fraction < decimals) {
    const drop = pow10(decimals - fraction);
    magnitude = (magnitude + drop / 2n) / drop;
    shown = fraction;
  } else if (fraction > decimals) {
    magnitude *= pow10(fraction - decimals);
    shown = fraction;
  }
  const unit = pow10(shown);
  const whole = (magnitude / unit).toString();
  const frac = shown > 0 ? "." + (magnitude % unit).toString().padStart(shown, "0") : "";
  const body = ((options.group ?? true) ? groupThousands(whole) : whole) + frac;
  if (magnitude === 0n) return body;
  if (negative) return "−" + body;
  return options.plus === true ? "+" + body : body;
}

/**
 * Parses a decimal string a person typed ("1,234.5", "0.25", ".5") into the fixed-point integer
 * with `decimals` decimals. Rejects more fraction digits than the unit allows rather than
 * rounding a trader's input silently.
 */
export function parseFixed(text: string, decimals: number): bigint {
  const cleaned = text.trim().replace(/[,_\s]/g, "");
  if (cleaned === "") throw new AmountInputError("EMPTY_AMOUNT", "Enter an amount.");
  if (cleaned.startsWith("-")) throw new AmountInputError("NEGATIVE_AMOUNT", "The amount cannot be negative.");
  const match = /^(\d*)(?:\.(\d*))?$/.exec(cleaned);
  if (match === null || (match[1] === "" && (match[2] ?? "") === "")) {
    throw new AmountInputError("NOT_A_NUMBER", `"${text}" is not a number.`);
  }
  const whole = match[1] === "" ? "0" : match[1]!;
  const frac = (match[2] ?? "").replace(/0+$/, "");
  if (frac.length > decimals) {
    throw new AmountInputError(
      "TOO_MANY_DECIMALS",
      decimals === 0 ? "Use a whole number." : `Use at most ${decimals} digits after the decimal point.`,
    );
  }
  return BigInt(whole) * pow10(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** USDC base units (6 decimals) as dollars, 2 fraction digits by default. */
export function formatUsdc(amount: bigint, options: FormatOptions = {}): string {
  return formatFixed(amount, QUOTE_DECIMALS, { fraction: 2, ...options });
}

/** A price, strike or premium in cents. */
export function formatPrice(cents: bigint, options: FormatOptions = {}): string {
  return formatFixed(cents, PRICE_DECIMALS, options);
}

/** A size in 1e-4 units; trailing zeros beyond `minFraction` are dropped. */
export function formatSize(size: bigint, options: FormatOptions & { readonly minFraction?: number } = {}): string {
  const text = formatFixed(size, SIZE_DECIMALS, options);
  const min = options.minFraction ?? 1;
  const dot = text.indexOf(".");
  if (dot < 0 || options.fraction !== undefined) return text;
  let end = text.length;
  while (end > dot + 1 + min && text[end - 1] === "0") end--;
  return text.slice(0, end === dot + 1 ? dot : end);
}

export function parseUsdc(text: string): bigint {
  return parseFixed(text, QUOTE_DECIMALS);
}

export function parsePrice(text: string): bigint {
  return parseFixed(text, PRICE_DECIMALS);
}

export function parseSize(text: string): bigint {
  return parseFixed(text, SIZE_DECIMALS);
}

/**
 * `numerator / denominator` as a percentage with `fraction` digits, exactly (rounded half away
 * from zero). Returns "—" when the denominator is zero.
 */
export function formatPercent(numerator: bigint, denominator: bigint, fraction = 2, plus = false): string {
  if (denominator === 0n) return "—";
  const scale = pow10(fraction + 2);
  const negative = numerator < 0n !== denominator < 0n && numerator !== 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const scaled = (2n * n * scale + d) / (2n * d);
  return formatFixed(negative ? -scaled : scaled, fraction, { fraction, plus }) + "%";
}

/** `0x1234…abcd`. */
export function shortHex(hex: string, keep = 4): string {
  return hex.length <= 2 + 2 * keep ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

/** A field element (decimal bigint) as 0x-prefixed, 64-digit hex. */
export function fieldHex(value: bigint): string {
  return "0x" + value.toString(16).padStart(64, "0");
}

/** Unix seconds as `YYYY-MM-DD HH:MM:SS` UTC. */
export function formatUtc(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace("T", " ").slice(0, 19);
}

/** Unix seconds as `HH:MM:SS` UTC. */
export function formatClock(seconds: bigint): string {
  return formatUtc(seconds).slice(11);
}

/** A duration in seconds as "45s", "12m 5s", "3h 20m", "2d 4h". */
export function formatDuration(seconds: bigint): string {
  const s = seconds < 0n ? 0n : seconds;
  if (s < 60n) return `${s}s`;
  if (s < 3600n) return `${s / 60n}m ${s % 60n}s`;
  if (s < 86400n) return `${s / 3600n}h ${(s % 3600n) / 60n}m`;
  return `${s / 86400n}d ${(s % 86400n) / 3600n}h`;
}

/**
 * An L1 address typed in (any case; a mixed-case one must carry a valid checksum), checksummed;
 * or why it cannot receive: `error` null while nothing is typed.
 */
export function parseRecipient(text: string): { readonly address: `0x${string}` } | { readonly error: string | null } {
  const trimmed = text.trim();
  if (trimmed === "") return { error: null };
  if (!isAddress(trimmed)) {
    return {
      error: /^0x[0-9a-fA-F]{40}$/.test(trimmed)
        ? "The address's mixed case does not match its checksum: check it for a typo."
        : "Enter an address: 0x followed by 40 hex digits.",
    };
  }
  const address = getAddress(trimmed);
  if (BigInt(address) === 0n) return { error: "The zero address cannot receive USDC." };
  return { address };
}
