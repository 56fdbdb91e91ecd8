import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function findVersion(): string {
  for (const candidate of ["../package.json", "../../package.json"]) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === "pyremedy" && pkg.version) return pkg.version;
    } catch {
      // not at this depth (src/ under vitest, dist/src/ when built)
    }
  }
  return "0.0.0";
}

export const VERSION: string = findVersion();
