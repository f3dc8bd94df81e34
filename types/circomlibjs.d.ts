// Minimal declarations for circomlibjs (it ships none). Extend as more of it is used.
declare module "circomlibjs" {
  export function buildPoseidon(): Promise<unknown>;
  export function buildEddsa(): Promise<unknown>;
  export function buildBabyjub(): Promise<unknown>;
  export const poseidonContract: {
    createCode(nInputs: number): string;
    generateABI(nInputs: number): unknown[];
  };
}
