/**
 * Which files to process: the paths named on the command line, walked for `*.py`, honouring
 * .gitignore files (nested ones too), the usual environment/build directories and --exclude
 * globs. Symlinks are followed only while they stay inside the root.
 *
 * A path named on the command line that is itself a symlink: a link to a file is skipped with a
 * reason, like one met while walking (it is never read nor written through; the real file is
 * fixed when it is named or walked under its own name); a link to a directory is the root the
 * user chose: its target is walked (reported under the name given), with the rules above
 * applying inside it.
 */
import fs from "node:fs";
import path from "node:path";
import ignore, { type Ignore } from "ignore";
import picomatch from "picomatch";

export const SKIPPED_DIRS = new Set([".git", ".hg", ".svn", "venv", ".venv", "site-packages", "node_modules", "build", "dist", "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"]);

export interface Target {
  /** The root as the user gave it (for reports). */
  readonly repo: string;
  /** Absolute root. */
  readonly root: string;
  /** Relative to root, with `/`. */
  readonly relPath: string;
  readonly absPath: string;
}

export interface DiscoveryProblem {
  readonly repo: string;
  readonly relPath: string;
  readonly status: "skipped" | "failed";
  readonly reason: string;
}

export interface Discovery {
  readonly targets: Target[];
  readonly problems: DiscoveryProblem[];
}

export interface DiscoverOptions {
  readonly exclude?: readonly string[];
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** Why a symlink named on the command line (to a file, or broken) is skipped: the walk's reasons. */
function namedLinkReason(abs: string, root: string): string {
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    return "broken symlink";
  }
  const realRoot = realpathOr(root);
  return isInside(realRoot, real) ? `symlink to ${toPosix(path.relative(realRoot, real))}` : "symlink points outside the root";
}

/** The nearest ancestor holding `.git`, else the directory itself. */
export function projectRootOf(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, ".git"))) return d;
    if (path.dirname(d) === d) return dir;
  }
}

interface Layer {
  readonly base: string; // relative dir of the .gitignore, "" for root
  readonly rules: Ignore;
}

function readGitignore(absDir: string): Ignore | undefined {
  try {
    const text = fs.readFileSync(path.join(absDir, ".gitignore"), "utf8");
    return ignore().add(text);
  } catch {
    return undefined;
  }
}

function ignoredBy(layers: readonly Layer[], relPath: string, isDir: boolean): boolean {
  let ignored = false;
  for (const layer of layers) {
    const sub = layer.base ? relPath.slice(layer.base.length + 1) : relPath;
    const r = layer.rules.test(isDir ? `${sub}/` : sub);
    if (r.ignored) ignored = true;
    if (r.unignored) ignored = false;
  }
  return ignored;
}

export function discover(paths: readonly string[], options: DiscoverOptions = {}): Discovery {
  const targets: Target[] = [];
  const problems: DiscoveryProblem[] = [];
  // A glob starting with `/` (configuration globs, anchored at their file's directory) is matched
  // against the absolute path; any other against the path below the root, and the base name.
  const globs = options.exclude ?? [];
  const relative = globs.filter((g) => !g.startsWith("/")).map((g) => picomatch(g, { dot: true }));
  const absolute = globs.filter((g) => g.startsWith("/")).map((g) => picomatch(g, { dot: true }));
  const excludedRel = (rel: string): boolean => relative.some((m) => m(rel) || m(path.posix.basename(rel)));
  const excludedAbs = (abs: string): boolean => absolute.some((m) => m(toPosix(abs)));
  const excluded = (rel: string, abs: string): boolean => excludedRel(rel) || excludedAbs(abs);
  /** A file named on the command line (pre-commit passes them) is excluded like a walked one: it or a directory above it. */
  const excludedFile = (rel: string, abs: string): boolean => {
    const parts = rel.split("/");
    for (let n = parts.length; n > 0; n--) if (excludedRel(parts.slice(0, n).join("/"))) return true;
    for (let p = abs; absolute.length; p = path.dirname(p)) {
      if (excludedAbs(p)) return true;
      if (path.dirname(p) === p) break;
    }
    return false;
  };

  for (const given of paths) {
    const abs = path.resolve(given);
    let stat: fs.Stats;
    let link = false;
    try {
      link = fs.lstatSync(abs).isSymbolicLink();
      stat = fs.statSync(abs);
    } catch (err) {
      if (!link) {
        problems.push({ repo: given, relPath: "", status: "failed", reason: `cannot read ${given}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        continue;
      }
      stat = fs.lstatSync(abs); // a broken link: skipped below, like one met while walking
    }
    if (link && !stat.isDirectory()) {
      const root = projectRootOf(path.dirname(abs));
      const repo = toPosix(path.relative(process.cwd(), root)) || ".";
      const relPath = toPosix(path.relative(root, abs));
      problems.push({ repo, relPath, status: "skipped", reason: namedLinkReason(abs, root) });
      continue;
    }
    if (stat.isFile()) {
      const root = projectRootOf(path.dirname(abs));
      const repo = toPosix(path.relative(process.cwd(), root)) || ".";
      const relPath = toPosix(path.relative(root, abs));
      if (excludedFile(relPath, realpathOr(abs))) {
        problems.push({ repo, relPath, status: "skipped", reason: "excluded (exclude pattern)" });
        continue;
      }
      targets.push({ repo, root, relPath, absPath: abs });
      continue;
    }
    if (!stat.isDirectory()) {
      problems.push({ repo: given, relPath: "", status: "skipped", reason: "not a regular file or directory" });
      continue;
    }
    const root = fs.realpathSync(abs);
    const walk = (absDir: string, relDir: string, layers: Layer[]): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(absDir, { withFileTypes: true });
      } catch (err) {
        // An unreadable repository root fails (the run goes on, exit 2); a subdirectory is only skipped.
        problems.push({ repo: given, relPath: relDir, status: relDir ? "skipped" : "failed", reason: `unreadable directory (${(err as NodeJS.ErrnoException).code ?? "error"})` });
        return;
      }
      const own = readGitignore(absDir);
      const here = own ? [...layers, { base: relDir, rules: own }] : layers;
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
        const full = path.join(absDir, entry.name);
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        let real = full;
        if (entry.isSymbolicLink()) {
          try {
            real = fs.realpathSync(full);
            const st = fs.statSync(real);
            isDir = st.isDirectory();
            isFile = st.isFile();
          } catch {
            if (entry.name.endsWith(".py")) problems.push({ repo: given, relPath: rel, status: "skipped", reason: "broken symlink" });
            continue;
          }
          if (!isInside(root, real)) {
            if (isDir || entry.name.endsWith(".py")) problems.push({ repo: given, relPath: rel, status: "skipped", reason: "symlink points outside the root" });
            continue;
          }
          // A link to a directory inside the root is walked under the directory's own name.
          if (isDir) continue;
          if (isFile && entry.name.endsWith(".py")) {
            // The real file inside the root is processed under its own name; never write through a link.
            problems.push({ repo: given, relPath: rel, status: "skipped", reason: `symlink to ${toPosix(path.relative(root, real))}` });
            continue;
          }
        }
        if (isDir) {
          if (SKIPPED_DIRS.has(entry.name) || entry.name.endsWith(".egg-info")) continue;
          if (ignoredBy(here, rel, true) || excluded(rel, full)) continue;
          walk(full, rel, here);
        } else if (isFile && entry.name.endsWith(".py")) {
          if (ignoredBy(here, rel, false) || excluded(rel, full)) continue;
          targets.push({ repo: given, root, relPath: rel, absPath: full });
        }
      }
    };
    walk(root, "", []);
  }
  return { targets, problems };
}
