// Hardhat 3 needs Node >= 22 and its native EDR package for this platform.
// The `node` devDependency provides Node 22 in node_modules/.bin; when `npm install`
// itself ran on an older system Node, npm skipped EDR's platform package (its engines
// say node >= 22). Re-running the install under Node 22 adds it. See ../shared/TOOLCHAIN.md.
const { execSync } = require("node:child_process");
const path = require("node:path");

function edrLoads() {
  try {
    require("@nomicfoundation/edr");
    return true;
  } catch {
    return false;
  }
}

if (process.env.TESSERA_SKIP_EDR_CHECK === "1" || edrLoads()) process.exit(0);

const root = path.resolve(__dirname, "..");
const binDir = path.join(root, "node_modules", ".bin");
console.log("[postinstall] Hardhat's EDR platform package is missing; reinstalling under Node 22 ...");
execSync("npm install --no-save --no-audit --no-fund", {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    TESSERA_SKIP_EDR_CHECK: "1",
    PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
  },
});
if (!edrLoads()) {
  // Checked from this (possibly older) Node process: ask Node 22 instead.
  execSync(`"${path.join(binDir, "node")}" -e "require('@nomicfoundation/edr')"`, { cwd: root, stdio: "inherit" });
}
