import { useRef } from "react";
import type { CSSProperties, KeyboardEvent, ReactNode } from "react";
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

/** One tab of a `TabList`: its value and what it shows. */
export interface Tab<T> {
  readonly value: T;
  readonly label: ReactNode;
}

/**
 * A WAI-ARIA tab list: one tab stop (the selected tab), Left/Right arrows, Home and End move the
 * selection, and every tab names the panel it controls (`panelId`, rendered with `TabPanel`).
 * `idPrefix` makes the tabs' ids unique on the page.
 */
export function TabList<T extends string | number | bigint>({
  label,
  tabs,
  selected,
  onSelect,
  idPrefix,
  panelId,
}: {
  readonly label: string;
  readonly tabs: readonly Tab<T>[];
  readonly selected: T | null;
  readonly onSelect: (value: T) => void;
  readonly idPrefix: string;
  readonly panelId?: string;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const current = tabs.findIndex((t) => t.value === selected);
  const move = (e: KeyboardEvent) => {
    const last = tabs.length - 1;
    const to =
      e.key === "ArrowRight"
        ? current >= last
          ? 0
          : current + 1
        : e.key === "ArrowLeft"
          ? current <= 0
            ? last
            : current - 1
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? last
              : null;
    if (to === null || tabs[to] === undefined) return;
    e.preventDefault();
    onSelect(tabs[to].value);
    refs.current[to]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label} onKeyDown={move}>
      {tabs.map((t, i) => {
        const on = i === current || (current < 0 && i === 0);
        return (
          <button
            key={String(t.value)}
            ref={(el) => {
              refs.current[i] = el;
            }}
            id={tabId(idPrefix, t.value)}
            type="button"
            role="tab"
            aria-selected={i === current}
            aria-controls={panelId}
            tabIndex={on ? 0 : -1}
            onClick={() => onSelect(t.value)}
          >
            {t.label}
          </button>
        );
      })}
    </div>
  );
}

/** The id `TabList` gives the tab of `value`. */
export function tabId(idPrefix: string, value: string | number | bigint): string {
  return `${idPrefix}-tab-${String(value)}`;
}

/**
 * The panel a `TabList` controls: labelled by the selected tab and focusable, so keyboard users
 * can reach and scroll it even when it holds nothing interactive.
 */
export function TabPanel({
  id,
  labelledBy,
  className,
  style,
  children,
}: {
  readonly id: string;
  readonly labelledBy: string;
  readonly className?: string;
  readonly style?: CSSProperties;
  readonly children: ReactNode;
}) {
  return (
    <div id={id} role="tabpanel" aria-labelledby={labelledBy} tabIndex={0} className={className} style={style}>
      {children}
    </div>
  );
}

/**
 * A wide table in a narrow panel: it scrolls sideways inside this region instead of widening the
 * page, and the region takes keyboard focus so the scrolling works without a mouse.
 */
export function TableScroll({ label, children }: { readonly label: string; readonly children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
