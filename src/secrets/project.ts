/**
 * The repository-wide view secrets-to-env needs to name variables consistently: every credential
 * literal of every Python file of the project (read through ProjectContext, so still pure), the
 * existing env file (`.env`, or secrets-to-env's `env-file`), and whether the project already
 * loads it with python-dotenv.
 *
 * Built once per ProjectContext file reader (one per run, root and thread) and env file; per-file results
 * are cached by content, so a file's sites are found once however many files ask.
 */
import crypto from "node:crypto";
import ignore, { type Ignore } from "ignore";
import type { ProjectContext } from "../codemod.js";
import { SKIPPED_DIRS } from "../engine/discover.js";
import { PythonFile } from "../python/file.js";
import { parsePython } from "../python/parser.js";
import { isTestPath } from "../python/paths.js";
import { dotenvMap } from "./dotenv.js";
import { NameBook, type Claim } from "./names.js";
import { mayHoldSecret } from "./prefilter.js";
import { findSecretSites, type SecretSite } from "./sites.js";

/** Walking stops here: naming stays consistent for the files seen, and huge trees stay cheap. */
const MAX_FILES = 20_000;
const MAX_CACHED = 5_000;

export type SiteFilter = (file: PythonFile, site: SecretSite) => boolean;

export interface ProjectSecrets {
  /** Existing entries of the env file (name → value). */
  readonly dotenv: ReadonlyMap<string, string>;
  /** The project declares or imports python-dotenv. */
  readonly usesDotenv: boolean;
  /** A name book over the project with `relPath`'s claims replaced by (added to) `current`. */
  book(relPath: string, current: readonly Claim[]): NameBook;
}

const byReader = new WeakMap<object, Map<string, ProjectSecrets>>();
const claimCache = new Map<string, Claim[]>();

function claimsOf(relPath: string, text: string, keep: SiteFilter): Claim[] {
  const key = `${relPath}\0${crypto.createHash("sha1").update(text).digest("hex")}`;
  const cached = claimCache.get(key);
  if (cached) return cached;
  let claims: Claim[] = [];
  if (mayHoldSecret(text)) {
    const tree = parsePython(text);
    try {
      const file = new PythonFile(relPath, text, tree, "\n");
      claims = findSecretSites(file).sites.filter((s) => keep(file, s)).map((s) => siteClaim(relPath, s));
    } finally {
      tree.delete();
    }
  }
  if (claimCache.size >= MAX_CACHED) claimCache.delete(claimCache.keys().next().value!);
  claimCache.set(key, claims);
  return claims;
}

export function siteClaim(relPath: string, site: SecretSite): Claim {
  return { relPath, index: site.literal.startIndex, value: site.secret, preferred: site.preferred, fixed: site.fixed };
}

/** Every `*.py` of the project, walked like discovery does (skipped directories, .gitignore files). */
function pythonFiles(ctx: ProjectContext): string[] {
  const out: string[] = [];
  const walk = (dir: string, layers: { base: string; rules: Ignore }[]): void => {
    if (out.length >= MAX_FILES) return;
    const names = ctx.listDir(dir);
    if (!names) return;
    const gitignore = names.includes(".gitignore") ? ctx.readText(dir ? `${dir}/.gitignore` : ".gitignore") : undefined;
    const here = gitignore ? [...layers, { base: dir, rules: ignore().add(gitignore) }] : layers;
    const ignored = (rel: string, isDir: boolean): boolean => {
      let result = false;
      for (const layer of here) {
        const sub = layer.base ? rel.slice(layer.base.length + 1) : rel;
        const r = layer.rules.test(isDir ? `${sub}/` : sub);
        if (r.ignored) result = true;
        if (r.unignored) result = false;
      }
      return result;
    };
    for (const name of names) {
      const isDir = name.endsWith("/");
      const bare = isDir ? name.slice(0, -1) : name;
      const rel = dir ? `${dir}/${bare}` : bare;
      if (isDir) {
        if (SKIPPED_DIRS.has(bare) || bare.endsWith(".egg-info") || ignored(rel, true)) continue;
        walk(rel, here);
      } else if (bare.endsWith(".py") && !ignored(rel, false)) {
        out.push(rel);
        if (out.length >= MAX_FILES) return;
      }
    }
  };
  walk("", []);
  return out;
}

const DOTENV_DECLARATIONS = ["requirements.txt", "requirements-dev.txt", "requirements/base.txt", "requirements/prod.txt", "pyproject.toml", "setup.cfg", "setup.py", "Pipfile", "environment.yml"];

function declaresDotenv(ctx: ProjectContext): boolean {
  return DOTENV_DECLARATIONS.some((rel) => /python-dotenv|python_dotenv/i.test(ctx.readText(rel) ?? ""));
}

/** The project view for `ctx`'s root, with the entries of `envFile` (relative to the root), built on first use. */
export function projectSecrets(ctx: ProjectContext, keep: SiteFilter, envFile = ".env"): ProjectSecrets {
  let views = byReader.get(ctx.readText);
  if (!views) byReader.set(ctx.readText, (views = new Map()));
  const cached = views.get(envFile);
  if (cached) return cached;
  const claims = new Map<string, Claim[]>();
  let importsDotenv = false;
  for (const rel of pythonFiles(ctx)) {
    if (isTestPath(rel) && !ctx.includeTests) continue;
    const text = ctx.readText(rel);
    if (text === undefined) continue;
    if (!importsDotenv && /^\s*(from\s+dotenv\s+import|import\s+dotenv)\b/m.test(text)) importsDotenv = true;
    const found = claimsOf(rel, text, keep);
    if (found.length) claims.set(rel, found);
  }
  const dotenv = dotenvMap(ctx.readText(envFile));
  const view: ProjectSecrets = {
    dotenv,
    usesDotenv: importsDotenv || declaresDotenv(ctx),
    book(relPath, current) {
      const mine = [...(claims.get(relPath) ?? [])];
      for (const c of current) if (!mine.some((m) => m.value === c.value && m.preferred === c.preferred && m.fixed === c.fixed)) mine.push(c);
      const all = [...claims.entries()].filter(([rel]) => rel !== relPath).flatMap(([, list]) => list);
      return new NameBook([...all, ...mine], dotenv, envFile);
    },
  };
  views.set(envFile, view);
  return view;
}
