/** Failures of the demo's orchestration, each with a stable code. */
export type DemoErrorCode =
  | "PORT_IN_USE"
  | "PROCESS_NOT_READY"
  | "PROCESS_EXITED"
  | "NO_ACCOUNT_EVENT"
  | "DEPOSIT_NOT_SEEN"
  | "WEB_BUILD_FAILED"
  | "NOT_FUND_OWNER";

export class DemoError extends Error {
  readonly code: DemoErrorCode;

  constructor(code: DemoErrorCode, message: string) {
    super(message);
    this.name = "DemoError";
    this.code = code;
  }
}
