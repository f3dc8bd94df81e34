// Minimal declarations for snarkjs (it ships none). Extend as more of it is used.
declare module "snarkjs" {
  export const groth16: {
    fullProve(
      input: unknown,
      wasmFile: string,
      zkeyFile: string,
      logger?: unknown,
    ): Promise<{ proof: unknown; publicSignals: string[] }>;
    prove(
      zkeyFile: string,
      witnessFile: string | Uint8Array | { type: string },
      logger?: unknown,
    ): Promise<{ proof: unknown; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: readonly string[], proof: unknown, logger?: unknown): Promise<boolean>;
    exportSolidityCallData(proof: unknown, publicSignals: readonly string[]): Promise<string>;
  };
  export const wtns: {
    calculate(
      input: unknown,
      wasmFile: string,
      wtnsFile: string | { type: string; data?: Uint8Array },
      options?: unknown,
    ): Promise<void>;
  };
  export const powersOfTau: Record<string, (...args: any[]) => Promise<any>>;
  export const zKey: Record<string, (...args: any[]) => Promise<any>>;
  export const r1cs: Record<string, (...args: any[]) => Promise<any>>;
}
