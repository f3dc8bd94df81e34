/**
 * Circuit test harness: compiles through scripts/zk/compile.ts, computes witnesses with the
 * generated wasm, finds signals by name in the `.sym` file and checks the R1CS constraints
 * itself, so a tampered witness can be judged by the constraints alone.
 *
 * The witness calculator here is circom's generated one re-implemented, in two modes. Strict:
 * the first failed `===` throws ("Assert Failed", exception code 4), as circom's does. Lenient:
 * the wasm is patched so that a failed `===` is counted and the template carries on (circom's
 * own exception handler cannot do this: the generated code returns from the template after
 * reporting, leaving later signals uncomputed). Lenient mode yields the complete witness an
 * adversarial prover would compute for a rule-violating input, which the R1CS must reject.
 */
import { readFileSync } from "node:fs";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { compile } from "../../scripts/zk/compile.ts";
import type { CompiledCircuit } from "../../scripts/zk/compile.ts";

const R = FIELD_MODULUS;

/** A linear combination: wire index → coefficient. */
type Lc = ReadonlyArray<readonly [number, bigint]>;

export interface R1cs {
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly nConstraints: number;
  readonly constraints: ReadonlyArray<readonly [Lc, Lc, Lc]>;
}

/** Parses an iden3 `.r1cs` file (header and constraints sections). */
export function readR1cs(file: string): R1cs {
  const buf = readFileSync(file);
  if (buf.toString("latin1", 0, 4) !== "r1cs") throw new Error(`${file} is not an r1cs file`);
  const nSections = buf.readUInt32LE(8);
  let pos = 12;
  let header: Omit<R1cs, "constraints"> | null = null;
  let n8 = 32;
  let constraintsAt = -1;
  for (let s = 0; s < nSections; s++) {
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    const start = pos + 12;
    if (type === 1) {
      n8 = buf.readUInt32LE(start);
      const p = start + 4 + n8;
      header = {
        nWires: buf.readUInt32LE(p),
        nPubOut: buf.readUInt32LE(p + 4),
        nPubIn: buf.readUInt32LE(p + 8),
        nPrvIn: buf.readUInt32LE(p + 12),
        nConstraints: buf.readUInt32LE(p + 24),
      };
    } else if (type === 2) {
      constraintsAt = start;
    }
    pos = start + size;
  }
  if (header === null || constraintsAt < 0) throw new Error(`${file}: missing r1cs sections`);
  // Centred: a coefficient above r/2 is read as its negative (circom writes −1 as r − 1).
  const readCoeff = (at: number): bigint => {
    let v = 0n;
    for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[at + i]!);
    return v > R >> 1n ? v - R : v;
  };
  const constraints: Array<readonly [Lc, Lc, Lc]> = [];
  pos = constraintsAt;
  const readLc = (): Lc => {
    const n = buf.readUInt32LE(pos);
    pos += 4;
    const lc: Array<readonly [number, bigint]> = [];
    for (let i = 0; i < n; i++) {
      lc.push([buf.readUInt32LE(pos), readCoeff(pos + 4)]);
      pos += 4 + n8;
    }
    return lc;
  };
  for (let c = 0; c < header.nConstraints; c++) constraints.push([readLc(), readLc(), readLc()]);
  return { ...header, constraints };
}

/** Reads `.sym`: full signal name (e.g. `main.slot[0].isTrade`) → witness index (-1 if optimised out). */
export function readSym(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const [, wire, , name] = line.split(",");
    out.set(name!, Number(wire));
  }
  return out;
}

function modInverse(a: bigint): bigint {
  let [t, newT, r, newR] = [0n, 1n, R, ((a % R) + R) % R];
  while (newR !== 0n) {
    const q = r / newR;
    [t, newT] = [newT, t - q * newT];
    [r, newR] = [newR, r - q * newR];
  }
  return ((t % R) + R) % R;
}

/**
 * `Σ coeff·w[wire] mod r`, possibly negative (a representative of the class). Coefficients are
 * centred at read (−1 is −1, not r − 1) and most wires are bits, so the common term costs an
 * addition instead of a 254-bit product.
 */
function evalLc(lc: Lc, w: readonly bigint[]): bigint {
  let acc = 0n;
  for (const [wire, coeff] of lc) {
    const v = w[wire]!;
    if (v === 0n) continue;
    acc += v === 1n ? coeff : coeff * v;
  }
  return acc % R;
}

/** A witness value: `bigint` field element. */
export type Witness = bigint[];

/** Result of a witness computation. */
export interface WitnessResult {
  readonly witness: Witness;
  /** Failed `===` asserts seen while computing (lenient mode). */
  readonly failedAsserts: number;
  /** circom's message for each failed assert (template and source line). */
  readonly messages: readonly string[];
}

/** The input object the witness calculator takes (signal name → value or nested arrays). */
export type InputValue = bigint | string | number | InputValue[];
export type CircuitInputs = Record<string, InputValue>;

/**
 * circom's generated code for a failed `===` is `call $printErrorMessage; i32.const 4; return`
 * inside an `if`: the template stops and the rest of the witness is never computed. This finds
 * those sites (the call to the imported `printErrorMessage`, then `i32.const 4; return; end`)
 * and turns the `return` into `drop`, so the template records the failure and carries on.
 * Same byte length: no section size changes.
 */
function patchAssertReturns(wasm: Buffer): { code: Buffer; sites: number } {
  const buf = Buffer.from(wasm);
  let p = 8;
  const leb = (): number => {
    let r = 0;
    let shift = 0;
    let b: number;
    do {
      b = buf[p++]!;
      r |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  const name = (): string => {
    const n = leb();
    const out = buf.toString("utf8", p, p + n);
    p += n;
    return out;
  };
  let printIdx = -1;
  let codeStart = -1;
  let codeEnd = -1;
  while (p < buf.length) {
    const id = buf[p++]!;
    const size = leb();
    const start = p;
    if (id === 2) {
      let funcs = 0;
      const n = leb();
      for (let i = 0; i < n; i++) {
        const module = name();
        const field = name();
        const kind = buf[p++]!;
        if (kind === 0) {
          leb();
          if (module === "runtime" && field === "printErrorMessage") printIdx = funcs;
          funcs++;
        } else if (kind === 1) {
          p++;
          if (leb() & 1) leb();
          leb();
        } else if (kind === 2) {
          if (leb() & 1) leb();
          leb();
        } else {
          p += 2;
        }
      }
    } else if (id === 10) {
      codeStart = start;
      codeEnd = start + size;
    }
    p = start + size;
  }
  if (printIdx < 0 || printIdx > 0x3f || codeStart < 0) throw new Error("unexpected witness wasm layout");
  let sites = 0;
  for (let i = codeStart; i + 5 < codeEnd; i++) {
    if (
      buf[i] === 0x10 &&
      buf[i + 1] === printIdx &&
      buf[i + 2] === 0x41 &&
      buf[i + 3] === 0x04 &&
      buf[i + 4] === 0x0f &&
      buf[i + 5] === 0x0b
    ) {
      buf[i + 4] = 0x1a; // return → drop
      sites++;
    }
  }
  return { code: buf, sites };
}

class WasmWitness {
  private failed = 0;
  private messages: string[] = [];
  private readonly n32: number;
  readonly witnessSize: number;

  private constructor(private readonly exports: Record<string, (...args: number[]) => number>) {
    this.n32 = exports["getFieldNumLen32"]!();
    this.witnessSize = exports["getWitnessSize"]!();
  }

  /**
   * `lenient`: failed asserts are counted and computation continues (patched wasm); otherwise
   * the first failed assert throws, as with circom's own calculator.
   */
  static async load(wasmFile: string, lenient: boolean): Promise<WasmWitness> {
    let self: WasmWitness | null = null;
    const raw = readFileSync(wasmFile);
    const code = lenient ? patchAssertReturns(raw).code : raw;
    const noop = (): void => {};
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(new Uint8Array(code)), {
      runtime: {
        exceptionHandler: (c: number): void => {
          throw new Error(`witness calculator exception ${c}${c === 4 ? " (Assert Failed)" : ""}`);
        },
        printErrorMessage: () => {
          if (self === null) return;
          self.failed++;
          self.messages.push(self.message());
        },
        writeBufferMessage: noop,
        showSharedRWMemory: noop,
      },
    });
    self = new WasmWitness(instance.exports as unknown as Record<string, (...args: number[]) => number>);
    return self;
  }

  private message(): string {
    let out = "";
    for (let ch = this.exports["getMessageChar"]!(); ch !== 0; ch = this.exports["getMessageChar"]!()) {
      out += String.fromCharCode(ch);
    }
    return out.trim();
  }

  private writeField(v: bigint): void {
    let x = ((v % R) + R) % R;
    for (let j = 0; j < this.n32; j++) {
      this.exports["writeSharedRWMemory"]!(j, Number(x & 0xffffffffn));
      x >>= 32n;
    }
  }

  /** The shared memory's field element; most wires are bits or small words (one limb). */
  private readField(): bigint {
    const read = this.exports["readSharedRWMemory"]!;
    let high = false;
    for (let j = 1; j < this.n32 && !high; j++) high = read(j) !== 0;
    const low = read(0) >>> 0;
    if (!high) return BigInt(low);
    let v = 0n;
    for (let j = this.n32 - 1; j >= 0; j--) v = (v << 32n) | BigInt(read(j) >>> 0);
    return v;
  }

  calculate(input: CircuitInputs): WitnessResult {
    this.failed = 0;
    this.messages = [];
    this.exports["init"]!(0);
    let count = 0;
    for (const [name, value] of Object.entries(input)) {
      const flat = flatten(value);
      const h = fnv64(name);
      const hi = Number(h >> 32n);
      const lo = Number(h & 0xffffffffn);
      const size = this.exports["getInputSignalSize"]!(hi, lo);
      if (size < 0) throw new Error(`input signal ${name} not found`);
      if (flat.length !== size) throw new Error(`input signal ${name}: ${flat.length} values for ${size}`);
      flat.forEach((v, i) => {
        this.writeField(v);
        this.exports["setInputSignal"]!(hi, lo, i);
        count++;
      });
    }
    if (count < this.exports["getInputSize"]!()) throw new Error(`only ${count} input values set`);
    const witness: Witness = [];
    for (let i = 0; i < this.witnessSize; i++) {
      this.exports["getWitness"]!(i);
      witness.push(this.readField());
    }
    return { witness, failedAsserts: this.failed, messages: this.messages };
  }
}

function flatten(v: InputValue): bigint[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [BigInt(v)];
}

function fnv64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** A compiled circuit ready for witness computation and constraint checks. */
export class Circuit {
  private constructor(
    readonly compiled: CompiledCircuit,
    readonly r1cs: R1cs,
    readonly sym: Map<string, number>,
    private readonly strict: WasmWitness,
    private readonly lenient: WasmWitness,
  ) {}

  static async fromSource(name: string, source: string): Promise<Circuit> {
    const compiled = await compile({ name, source });
    return Circuit.load(compiled);
  }

  /** A circuit whose main is `template(args)` from the given include. */
  static async ofTemplate(
    name: string,
    include: string,
    template: string,
    args: readonly number[] = [],
  ): Promise<Circuit> {
    const source = `pragma circom 2.1.6;\ninclude "${include}";\ncomponent main = ${template}(${args.join(", ")});\n`;
    return Circuit.fromSource(name, source);
  }

  static async load(compiled: CompiledCircuit): Promise<Circuit> {
    const [strict, lenient] = await Promise.all([
      WasmWitness.load(compiled.wasm, false),
      WasmWitness.load(compiled.wasm, true),
    ]);
    return new Circuit(compiled, readR1cs(compiled.r1cs), readSym(compiled.sym), strict, lenient);
  }

  private wireIndex: Map<number, number[]> | null = null;

  /** Indices of the constraints that mention `wire`. */
  private constraintsOf(wire: number): readonly number[] {
    if (this.wireIndex === null) {
      const index = new Map<number, number[]>();
      this.r1cs.constraints.forEach((abc, ci) => {
        for (const lc of abc) for (const [i] of lc) (index.get(i) ?? index.set(i, []).get(i)!).push(ci);
      });
      this.wireIndex = index;
    }
    return this.wireIndex.get(wire) ?? [];
  }

  /** Names of the signals (kept in the witness) whose full name matches `pattern`. */
  find(pattern: RegExp): string[] {
    return [...this.sym.entries()].filter(([n, i]) => i >= 0 && pattern.test(n)).map(([n]) => n);
  }

  get nConstraints(): number {
    return this.r1cs.nConstraints;
  }

  /** Computes the witness; throws on a failed assert. */
  witness(input: CircuitInputs): Witness {
    return this.strict.calculate(input).witness;
  }

  /** Computes the complete witness even when asserts fail (an adversarial prover's witness). */
  witnessIgnoringAsserts(input: CircuitInputs): WitnessResult {
    return this.lenient.calculate(input);
  }

  /**
   * Witnesses already shown to satisfy every constraint (the newest few). A witness that differs
   * from one of them in a set D of wires can only violate constraints that mention a wire of D:
   * every other constraint evaluates exactly as it does on the satisfying one. `violated` checks
   * just those, which gives the same answer as checking all (an adversarial witness usually
   * differs from the honest one in one slot, and the commitment's SHA-256 rounds are most of the
   * R1CS).
   */
  private readonly satisfying: Witness[] = [];

  /** Indices of the constraints the witness violates (empty when it satisfies the R1CS). */
  violated(w: readonly bigint[]): number[] {
    if (w.length !== this.r1cs.nWires) throw new Error(`witness has ${w.length} wires, r1cs ${this.r1cs.nWires}`);
    if (w[0] !== 1n) return [-1];
    const changed = this.closestDifference(w);
    const check = ([a, b, c]: readonly [Lc, Lc, Lc]): boolean =>
      (evalLc(a, w) * evalLc(b, w) - evalLc(c, w)) % R !== 0n;
    const bad: number[] = [];
    if (changed === null) {
      this.r1cs.constraints.forEach((abc, i) => {
        if (check(abc)) bad.push(i);
      });
      if (bad.length === 0) {
        this.satisfying.unshift(w.slice());
        this.satisfying.length = Math.min(this.satisfying.length, 4);
      }
      return bad;
    }
    const touched = new Set<number>();
    for (const wire of changed) for (const ci of this.constraintsOf(wire)) touched.add(ci);
    for (const ci of [...touched].sort((x, y) => x - y)) {
      if (check(this.r1cs.constraints[ci]!)) bad.push(ci);
    }
    return bad;
  }

  /** The wires in which `w` differs from the nearest known satisfying witness, if one is near. */
  private closestDifference(w: readonly bigint[]): number[] | null {
    const limit = w.length >> 3;
    let best: number[] | null = null;
    for (const base of this.satisfying) {
      const diff: number[] = [];
      for (let i = 0; i < w.length && diff.length <= limit; i++) if (w[i] !== base[i]) diff.push(i);
      if (diff.length <= limit && (best === null || diff.length < best.length)) best = diff;
    }
    return best;
  }

  /**
   * The value the circuit computed for `wire` (a public data word), with every other wire as in
   * `w`. Such a wire is tied by constraints to two things: the signal that computes it (O2
   * substitutes the wire into that signal's constraints) and the commitment's bit decomposition
   * of it, which holds the value the witness was given. Every constraint linear in the wire is
   * solved; a solution other than the given value is what the transition computed. Throws when no
   * constraint determines the wire, or when two disagree on another value.
   */
  solveWire(w: readonly bigint[], wire: number): bigint {
    const solutions = new Set<bigint>();
    for (const ci of this.constraintsOf(wire)) {
      const [a, b, c] = this.r1cs.constraints[ci]!;
      const split = (lc: Lc): [bigint, bigint] => {
        let k0 = 0n;
        let k1 = 0n;
        for (const [i, coeff] of lc) {
          if (i === wire) k1 += coeff;
          else k0 += coeff * w[i]!;
        }
        return [k0 % R, k1 % R];
      };
      const [a0, a1] = split(a);
      const [b0, b1] = split(b);
      const [c0, c1] = split(c);
      if (a1 === 0n && b1 === 0n && c1 === 0n) continue;
      if ((a1 * b1) % R !== 0n) continue; // quadratic in the wire: another constraint decides
      // (a0 + a1 x)(b0 + b1 x) = c0 + c1 x  ⇒  x (a0 b1 + a1 b0 − c1) = c0 − a0 b0
      const k = (((a0 * b1 + a1 * b0 - c1) % R) + R) % R;
      if (k === 0n) continue;
      solutions.add((((((c0 - a0 * b0) % R) + R) % R) * modInverse(k)) % R);
    }
    if (solutions.size === 0) throw new Error(`no constraint determines wire ${wire}`);
    const other = [...solutions].filter((x) => x !== w[wire]);
    if (other.length > 1) throw new Error(`constraints disagree on wire ${wire}: ${other.join(", ")}`);
    return other[0] ?? w[wire]!;
  }

  /** True when the witness satisfies every constraint. */
  satisfies(w: readonly bigint[]): boolean {
    return this.violated(w).length === 0;
  }

  /** Witness index of a signal (`main.` prefix optional); throws if unknown or optimised out. */
  index(name: string): number {
    const full = name.startsWith("main.") ? name : `main.${name}`;
    const idx = this.sym.get(full);
    if (idx === undefined) throw new Error(`no signal ${full}`);
    if (idx < 0) throw new Error(`signal ${full} was optimised out of the witness`);
    return idx;
  }

  /** Value of a signal in a witness. */
  get(w: readonly bigint[], name: string): bigint {
    return w[this.index(name)]!;
  }

  /** A copy of the witness with the named signals set (field-reduced) to new values. */
  tamper(w: readonly bigint[], edits: Readonly<Record<string, bigint>>): Witness {
    const out = w.slice();
    for (const [name, value] of Object.entries(edits)) out[this.index(name)] = ((value % R) + R) % R;
    return out;
  }
}
