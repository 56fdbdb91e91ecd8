/**
 * Node cannot start a worker thread from a .ts file, and dist/ may be older than the sources
 * (or rebuilt by someone else mid-run). Tests that need real workers compile the sources into a
 * private directory of their own — type-stripping only, with TypeScript's transpileModule — and
 * start the workers from there, so a worker always runs the code under test.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { setWorkerEntry } from "../src/engine/workers.js";
import { ROOT } from "./helpers.js";

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

let built: string | undefined;

/** Compile src/ and codemods/ below node_modules/.cache (so packages resolve) and use that worker. */
export function useFreshWorkers(): void {
  if (!built) {
    const cache = path.join(ROOT, "node_modules", ".cache");
    fs.mkdirSync(cache, { recursive: true });
    built = fs.mkdtempSync(path.join(cache, "pyremedy-workers-"));
    for (const file of [...sources(path.join(ROOT, "src")), ...sources(path.join(ROOT, "codemods"))]) {
      const out = path.join(built, path.relative(ROOT, file)).replace(/\.ts$/, ".js");
      const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, outputText);
    }
    fs.writeFileSync(path.join(built, "package.json"), '{"type": "module"}\n');
    const dir = built;
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  setWorkerEntry(pathToFileURL(path.join(built, "src", "engine", "worker.js")));
}
