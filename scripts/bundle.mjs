#!/usr/bin/env node
/**
 * The CLI as users run it (package.json `bin`): dist/bundle/pyremedy.js and the worker it
 * starts, dist/bundle/worker.js, each one file built by esbuild from tsc's output.
 *
 * Why: Node loads an ES module graph file by file (resolve, stat, read, compile). pyremedy's
 * ~140 modules took 0.4-0.5 s before the first file was read, in the main thread and again in
 * each worker; one file loads in a fraction of that (README, "Performance").
 *
 * web-tree-sitter and tree-sitter-python stay outside: they find their .wasm files next to
 * their own modules. The bundles sit two levels below the package root, like dist/src/*,
 * so the package.json lookups of version.ts and reports/sarif.ts work from both.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

await build({
  absWorkingDir: root,
  entryPoints: { pyremedy: "dist/src/cli/main.js", worker: "dist/src/engine/worker.js" },
  outdir: "dist/bundle",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["web-tree-sitter", "tree-sitter-python"],
  // The CommonJS packages bundled in (clipanion, cli-progress, ignore, picomatch) call require().
  banner: { js: 'import { createRequire as __pyremedyRequire } from "node:module";\nconst require = __pyremedyRequire(import.meta.url);' },
  logLevel: "warning",
});
