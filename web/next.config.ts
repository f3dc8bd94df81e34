import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

/** The repository root: the app imports the reference model from `protocol/`. */
const repositoryRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: { root: repositoryRoot },
};

export default config;
