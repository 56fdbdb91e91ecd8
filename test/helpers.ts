/**
 * Shared test helpers: run codemods on a string or a fixture, in memory.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Codemod, ProjectContext } from "../src/codemod.js";
import { processSource, type FileOutcome } from "../src/engine/process.js";
import { projectContext, projectFs, type ProjectFs } from "../src/engine/context.js";
import { initPython } from "../src/python/parser.js";
import { parseConfig, resolveSettings } from "../src/config.js";

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
  /** The context root: fixtures/ for flat cases, the case directory for project cases. */
  readonly root: string;
  /** The path the codemod sees, relative to `root` (`.input` removed in project cases). */
  readonly relPath: string;
  /** True for a project case (fixtures/<id>/<case>/...): its context shows `x.input.py` as `x.py`. */
  readonly project: boolean;
  /** Codemod options from the project case's own `pyproject.toml` `[tool.pyremedy.<id>]`, defaults filled in. */
  readonly options?: Record<string, unknown>;
}

/** The codemod options a project case directory configures in its pyproject.toml, if it has one. */
function caseOptions(caseDir: string): Record<string, unknown> | undefined {
  const file = path.join(caseDir, "pyproject.toml");
  if (!fs.existsSync(file)) return undefined;
  return resolveSettings(parseConfig(fs.readFileSync(file, "utf8"), file), {}).codemodOptions;
}

/**
 * A project case's file system: `x.input.py` is seen as `x.py` and `.output.py` files are hidden,
 * so the codemod sees the project as it is before the fix.
 */
export function fixtureProjectFs(root: string): ProjectFs {
  const real = projectFs(root);
  return {
    readText(rel) {
      const direct = rel.endsWith(".input.py") || rel.endsWith(".output.py") ? undefined : real.readText(rel);
      return direct ?? (rel.endsWith(".py") ? real.readText(`${rel.slice(0, -3)}.input.py`) : undefined);
    },
    listDir(rel) {
      const names = real.listDir(rel);
      if (!names) return undefined;
      return [...new Set(names.filter((n) => !n.endsWith(".output.py")).map((n) => n.replace(/\.input\.py$/, ".py")))].sort();
    },
  };
}

/** The context a fixture case runs in. */
export function fixtureContext(k: FixtureCase, options: Record<string, unknown> = k.options ?? {}): ProjectContext {
  return k.project ? projectContext(k.root, k.relPath, fixtureProjectFs(k.root), options, false) : contextFor(k.relPath, k.root, options);
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** Every `.input.py` below `dir`, recursively, sorted. */
function inputsBelow(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...inputsBelow(full));
    else if (entry.name.endsWith(".input.py")) out.push(full);
  }
  return out;
}

/**
 * Every fixtures/<id>/<case>.input.py, with its .output.py when it has one; and every
 * `<name>.input.py` inside a project case directory fixtures/<id>/<case>/ (name: `<case>/<path>`).
 */
export function fixtureCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const dir of fs.readdirSync(FIXTURES).sort()) {
    if (dir === "sample-repos") continue;
    const full = path.join(FIXTURES, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const name of fs.readdirSync(full).sort()) {
      const caseDir = path.join(full, name);
      if (fs.statSync(caseDir).isDirectory()) {
        const options = caseOptions(caseDir);
        for (const input of inputsBelow(caseDir)) {
          const base = input.slice(0, -".input.py".length);
          const output = `${base}.output.py`;
          const relPath = toPosix(path.relative(caseDir, `${base}.py`));
          cases.push({
            codemod: dir,
            name: `${name}/${relPath.replace(/\.py$/, "")}`,
            input,
            ...(fs.existsSync(output) ? { output } : {}),
            root: caseDir,
            relPath,
            project: true,
            ...(options ? { options } : {}),
          });
        }
        continue;
      }
      if (!name.endsWith(".input.py")) continue;
      const base = name.slice(0, -".input.py".length);
      const output = path.join(full, `${base}.output.py`);
      cases.push({
        codemod: dir,
        name: base,
        input: path.join(full, name),
        ...(fs.existsSync(output) ? { output } : {}),
        root: FIXTURES,
        relPath: toPosix(path.relative(FIXTURES, path.join(full, name))),
        project: false,
      });
    }
  }
  return cases;
}
