import type { ReactNode } from "react";
import type { TxState } from "../lib/tx.ts";
import { shortHex } from "../lib/format.ts";

export function Panel({
  title,
  actions,
  className,
  children,
  labelId,
}: {
  readonly title: string;
  readonly actions?: ReactNode;
  readonly className?: string;
  readonly children: ReactNode;
  readonly labelId: string;
}) {
  return (
    <section className={`panel ${className ?? ""}`} aria-labelledby={labelId}>
      <div className="panel-head">
        <h2 id={labelId} style={{ font: "inherit", margin: 0 }}>
          {title}
        </h2>
        <span className="spacer" />
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Empty({ children }: { readonly children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function ErrorText({ children }: { readonly children: ReactNode }) {
  return (
    <p className="error" role="alert">
      {children}
    </p>
  );
}

export function Badge({ status }: { readonly status: string }) {
  return <span className={`badge ${status}`}>{status}</span>;
}

/** The outcome line under an L1 action. */
export function TxStatus({ state, done }: { readonly state: TxState; readonly done: string }) {
  if (state.phase === "error") return <ErrorText>{state.message}</ErrorText>;
  if (state.phase === "pending") {
    return (
      <p className="muted" role="status">
        Sent {shortHex(state.hash)}; waiting for it to be mined.
      </p>
    );
  }
  if (state.phase === "done") {
    return (
      <p className="ok" role="status">
        {done}
      </p>
    );
  }
  return null;
}

/** A signed value with its sign colour. */
export function Signed({ value, children }: { readonly value: bigint; readonly children: ReactNode }) {
  return <span className={value > 0n ? "pos" : value < 0n ? "neg" : undefined}>{children}</span>;
}
