/**
 * What every browser test needs: Debian's chromium (playwright never downloads a browser here)
 * in a throwaway profile, waits that name what the page failed to show, polling, and numbered
 * full-page screenshots under test-results/web/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { ROOT } from "../../../scripts/zk/compile.ts";

/** Debian's chromium (`apt-get install -y chromium`). */
export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = path.join(ROOT, "test-results", "web");
/** Longest wait for one thing the page must show (a deposit, a fill, a verified batch). */
export const STEP_MS = 60_000;
/** Bound for a step that waits on a batch to be proved and verified on L1 (slower on a busy 2-core machine). */
export const PROOF_MS = 180_000;

export interface Browser {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts headless chromium with a fresh profile; only 127.0.0.1 resolves. */
export async function launchBrowser(viewport = { width: 1440, height: 1000 }): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const profileDir = mkdtempSync(path.join(tmpdir(), "tessera-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `locator` is visible; `what` names it in the failure. */
export async function sees(locator: Locator, what: string, timeout = STEP_MS): Promise<void> {
  try {
    await locator.first().waitFor({ state: "visible", timeout });
  } catch (e) {
    throw new Error(`the page never showed ${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
}

/** Numbered screenshots `<prefix>-NN-<name>.png`, one counter per prefix. */
export function screenshotter(prefix: string): (page: Page, name: string) => Promise<void> {
  let shot = 0;
  return async (page, name) => {
    shot += 1;
    await page.screenshot({
      path: path.join(SCREENSHOTS, `${prefix}-${String(shot).padStart(2, "0")}-${name}.png`),
      fullPage: true,
    });
  };
}

/** Polls `probe` until it returns a value other than undefined (errors retry). */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = STEP_MS): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown = null;
  while (performance.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last === null ? "" : `: ${String(last)}`}`);
}

/** An accessibility rule the page breaks (axe-core), with where. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  /** CSS selectors of the offending elements (at most 5). */
  readonly targets: readonly string[];
}

const AXE = path.join(ROOT, "node_modules", "axe-core", "axe.min.js");

/**
 * Runs axe-core's WCAG 2.x A and AA rules on the page as it is now and returns the serious and
 * critical violations (what blocks keyboard or screen-reader users, or unreadable contrast).
 */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
      }));
  });
}

/**
 * Elements that stick out past the right edge of a `width`-px viewport, innermost first (at most
 * 5, as `tag.class` paths): what makes a page scroll sideways.
 */
export async function overflowing(page: Page, width: number): Promise<string[]> {
  return page.evaluate((w) => {
    const out: string[] = [];
    const name = (el: Element) =>
      el.tagName.toLowerCase() + (el.classList.length > 0 ? "." + Array.from(el.classList).join(".") : "");
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      if (el.getBoundingClientRect().right <= w + 0.5) continue;
      if (Array.from(el.children).some((c) => c.getBoundingClientRect().right > w + 0.5)) continue;
      const path: string[] = [];
      for (let e: Element | null = el; e !== null && e !== document.body && path.length < 4; e = e.parentElement) {
        path.unshift(name(e));
      }
      out.push(path.join(" > "));
      if (out.length === 5) break;
    }
    return out;
  }, width);
}
