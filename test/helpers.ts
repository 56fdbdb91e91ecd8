/**
 * Shared test helpers: run codemods on a string or a fixture, in memory.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Codemod, ProjectContext } from "../src/codemod.js";
import { processSource, type FileOutcome } from "../src/engine/process.js";
import { projectContext, projectFs } from "../src/engine/context.js";
import { initPython } from "../src/python/parser.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURES = path.join(ROOT, "fixtures");

export async function setup(): Promise<void> {
  await initPython();
}

/** A context over a directory on disk (default: the fixture folder), for the given relative path. */
export function contextFor(relPath: string, root = FIXTURES, options: Record<string, unknown> = {}, includeTests = false): ProjectContext {
  return projectContext(root, relPath, projectFs(root), options, includeTests);
}

export function runOn(source: string | Uint8Array, codemods: readonly Codemod[], relPath = "example.py", ctx?: ProjectContext): FileOutcome {
  const bytes = typeof source === "string" ? Buffer.from(source, "utf8") : source;
  return processSource(bytes, ctx ?? contextFor(relPath), { codemods, maxBytes: 2 * 1024 * 1024 });
}

/** The decoded text after running, or the input when nothing changed. */
export function fixed(source: string, codemods: readonly Codemod[], relPath = "example.py"): string {
  const out = runOn(source, codemods, relPath);
  if (out.status === "failed") throw new Error(`failed: ${out.reason}`);
  return out.after ?? source;
}

export interface FixtureCase {
  readonly codemod: string;
  readonly name: string;
  readonly input: string;
  readonly output?: string;
}

/** Every fixtures/<id>/<case>.input.py, with its .output.py when it has one. */
export function fixtureCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const dir of fs.readdirSync(FIXTURES).sort()) {
    if (dir === "sample-repos") continue;
    const full = path.join(FIXTURES, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const name of fs.readdirSync(full).sort()) {
      if (!name.endsWith(".input.py")) continue;
      const base = name.slice(0, -".input.py".length);
      const output = path.join(full, `${base}.output.py`);
      cases.push({
        codemod: dir,
        name: base,
        input: path.join(full, name),
        ...(fs.existsSync(output) ? { output } : {}),
      });
    }
  }
  return cases;
}
