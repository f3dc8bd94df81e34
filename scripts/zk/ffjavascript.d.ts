// Minimal declarations for the parts of ffjavascript (it ships none) used by the TEST-ONLY
// known-tau ceremony in scripts/zk/ptau.ts. Field and group elements are the library's byte
// buffers: Fr elements and points in Montgomery form unless a method name says otherwise.
declare module "ffjavascript" {
  /** One ffjavascript worker task: a small program of allocations, wasm calls and reads. */
  export type TaskCommand =
    | { cmd: "ALLOCSET"; var: number; buff: Uint8Array }
    | { cmd: "ALLOC"; var: number; len: number }
    | { cmd: "CALL"; fnName: string; params: ({ var: number; offset?: number } | { val: number })[] }
    | { cmd: "GET"; out: number; var: number; len: number };

  export interface ThreadManager {
    readonly concurrency: number;
    queueAction(task: TaskCommand[]): Promise<Uint8Array[]>;
  }

  export interface WasmField {
    readonly n8: number;
    readonly one: Uint8Array;
    /** Roots of unity: `w[k]` has order 2^k. */
    readonly w: Uint8Array[];
    e(v: bigint | number | string): Uint8Array;
    toObject(a: Uint8Array): bigint;
    mul(a: Uint8Array, b: Uint8Array): Uint8Array;
    fromRng(rng: ChaCha): Uint8Array;
  }

  export interface WasmGroup {
    readonly F: { readonly n8: number };
    /** Generator (Montgomery, projective). */
    readonly g: Uint8Array;
    fromRng(rng: ChaCha): Uint8Array;
    timesFr(p: Uint8Array, s: Uint8Array): Uint8Array;
    toAffine(p: Uint8Array): Uint8Array;
    toRprLEM(buff: Uint8Array, offset: number, p: Uint8Array): void;
    toRprUncompressed(buff: Uint8Array, offset: number, p: Uint8Array): void;
    toUncompressed(p: Uint8Array): Uint8Array;
    add(a: Uint8Array, b: Uint8Array): Uint8Array;
    batchToAffine(buff: Uint8Array): Promise<Uint8Array>;
    batchLEMtoC(buff: Uint8Array): Promise<Uint8Array>;
    batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
  }

  export interface Curve {
    readonly q: bigint;
    readonly r: bigint;
    readonly F1: { readonly n8: number; readonly n64: number };
    readonly Fr: WasmField;
    readonly G1: WasmGroup;
    readonly G2: WasmGroup;
    readonly tm: ThreadManager;
    terminate(): Promise<void>;
  }

  /** wasm code as bytes (wasmbuilder's CodeBuilder output). */
  export type Code = number[];

  export interface CodeBuilder {
    getLocal(name: string): Code;
    setLocal(name: string, value: Code): Code;
    i32_const(v: number): Code;
    i32_add(a: Code, b: Code): Code;
    i32_mul(a: Code, b: Code): Code;
    i32_eq(a: Code, b: Code): Code;
    i32_load8_u(address: Code): Code;
    call(fnName: string, ...args: Code[]): Code;
    if(cond: Code, then: Code, otherwise?: Code): Code;
    block(body: Code): Code;
    loop(...body: Code[]): Code;
    br_if(depth: number, cond: Code): Code;
    br(depth: number): Code;
  }

  export interface FunctionBuilder {
    addParam(name: string, type: "i32"): void;
    addLocal(name: string, type: "i32"): void;
    getCodeBuilder(): CodeBuilder;
    addCode(...code: Code[]): void;
  }

  /** wasmbuilder's ModuleBuilder, as passed to `buildBn128`'s plugins. */
  export interface ModuleBuilder {
    addFunction(name: string): FunctionBuilder;
    exportFunction(name: string): void;
  }

  /** The shared BN254 engine; `plugins` may add wasm functions before the module is built. */
  export function buildBn128(singleThread?: boolean, plugins?: (module: ModuleBuilder) => void): Promise<Curve>;

  export class ChaCha {
    constructor(seed: number[]);
    nextU32(): number;
  }
}
