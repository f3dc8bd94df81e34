/**
 * The deployment the app talks to, read at runtime from `/deployment.json` (served from
 * `web/public/`). `npm run demo` writes it after deploying the contracts; a production build
 * ships its own. Nothing about a chain or a sequencer is compiled into the app.
 *
 * Shape (all fields required unless marked):
 * ```json
 * {
 *   "chainId": 31337,
 *   "rpcUrl": "http://127.0.0.1:8545",
 *   "sequencerUrl": "http://127.0.0.1:8080",
 *   "profile": "demo",
 *   "contracts": { "rollup": "0x…", "usdc": "0x…", "feeds": { "ETH": "0x…", "BTC": "0x…" } },
 *   "verificationKeyUrl": "/verification_key.json",
 *   "deployBlock": 0
 * }
 * ```
 * `verificationKeyUrl` (optional, default `/verification_key.json`) is the snarkjs verification
 * key of the profile's circuit, used to verify batch proofs in the browser; `deployBlock`
 * (optional, default 0) is where the app starts reading the rollup's events.
 */
import { z } from "zod";
import type { Address } from "viem";
import { getProfile } from "../../protocol/profiles.ts";
import type { Profile } from "../../protocol/types.ts";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "an 0x-prefixed 20-byte address")
  .transform((s) => s as Address);

const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
  sequencerUrl: z.url(),
  profile: z.string().min(1),
  contracts: z.object({
    rollup: address,
    usdc: address,
    feeds: z.record(z.string(), address),
  }),
  verificationKeyUrl: z.string().min(1).default("/verification_key.json"),
  deployBlock: z.number().int().nonnegative().default(0),
});

export interface Deployment extends Omit<z.infer<typeof deploymentSchema>, "profile"> {
  readonly profile: Profile;
}

/** The deployment file is missing or does not have the shape above. */
export class DeploymentError extends Error {
  readonly code: "DEPLOYMENT_MISSING" | "DEPLOYMENT_INVALID";

  constructor(code: DeploymentError["code"], message: string) {
    super(message);
    this.name = "DeploymentError";
    this.code = code;
  }
}

/** Validates a parsed deployment file and resolves its profile from circuits/profiles.json. */
export function parseDeployment(raw: unknown): Deployment {
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? "" : ` at "${issue.path.join(".")}": ${issue.message}`;
    throw new DeploymentError("DEPLOYMENT_INVALID", `deployment.json is not valid${where}.`);
  }
  let profile: Profile;
  try {
    profile = getProfile(parsed.data.profile);
  } catch {
    throw new DeploymentError(
      "DEPLOYMENT_INVALID",
      `deployment.json names an unknown profile "${parsed.data.profile}".`,
    );
  }
  return { ...parsed.data, profile };
}

/** Fetches and validates `/deployment.json`. */
export async function loadDeployment(url = "/deployment.json"): Promise<Deployment> {
  let response: Response;
  try {
    response = await fetch(url, { cache: "no-store" });
  } catch {
    throw new DeploymentError("DEPLOYMENT_MISSING", "Could not load deployment.json from this site.");
  }
  if (!response.ok) {
    throw new DeploymentError(
      "DEPLOYMENT_MISSING",
      "No deployment is configured: run `npm run demo` (it writes web/public/deployment.json) and reload.",
    );
  }
  return parseDeployment(await response.json());
}
