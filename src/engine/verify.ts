/**
 * `fix --verify`: import each package whose `__init__.py` init-exports filled, with python3 in a
 * subprocess, and report the ones that no longer import. This runs the project's own code, so
 * it happens only when asked for. The import runs on a temporary copy of the package with the
 * fixed files in place (the checkout is never touched, preview or not); the project's import
 * root stays on sys.path behind it so its other packages still resolve.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Notice } from "../codemod.js";
import { projectFs } from "./context.js";
import { locatePackage } from "../python/packaging.js";
import type { FileReport, RunReport } from "./report.js";

const CODEMOD = "init-exports";

/** Packages bigger than this are not copied: verification says so instead. */
const MAX_FILES = 5000;

const PROBE = `
import importlib, json, sys, traceback
out = {}
for name in sys.argv[1:]:
    top = name.split(".")[0]
    # Each module from scratch: a failed import leaves the submodules it reached in sys.modules.
    for key in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
        del sys.modules[key]
    try:
        m = importlib.import_module(name)
        missing = [n for n in (getattr(m, "__all__", None) or []) if not hasattr(m, n)]
        out[name] = {"ok": not missing, "error": ("__all__ names that do not resolve: " + ", ".join(missing)) if missing else None}
    except BaseException as e:
        out[name] = {"ok": False, "error": type(e).__name__ + ": " + str(e).splitlines()[0] if str(e) else type(e).__name__}
print(json.dumps(out))
`;

export interface VerifyOptions {
  /** The interpreter (default: python3 on PATH, so an activated virtualenv is used). */
  readonly python?: string;
  /** Per package, in milliseconds (default 60 s). */
  readonly timeoutMs?: number;
}

export interface Verification {
  readonly repo: string;
  /** The `__init__.py` files of this package that were filled, with the module each one is. */
  readonly files: readonly { readonly path: string; readonly module: string }[];
  /** Top-level package imported first, then the filled (sub)packages. */
  readonly modules: readonly string[];
  readonly ok: boolean;
  /** Why not, per module ("" when it concerns the whole package). */
  readonly failures: readonly { readonly module: string; readonly message: string }[];
}

interface Group {
  repo: string;
  /** Absolute import root (the directory holding the top-level package). */
  importRoot: string;
  /** Path of the import root relative to the repo root. */
  importRootRel: string;
  top: string;
  files: { report: FileReport; dotted: string; bytes: Uint8Array }[];
}

/** The fixed bytes of a changed file: from the report when the engine keeps them, else from disk once written. */
function fixedBytes(root: string, f: FileReport): Uint8Array | undefined {
  const source = (f as { source?: { bytesAfter?: Uint8Array } }).source;
  if (source?.bytesAfter) return source.bytesAfter;
  if (f.written) {
    try {
      return fs.readFileSync(path.join(root, f.path));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function countFiles(dir: string, limit: number): number {
  let n = 0;
  const stack = [dir];
  while (stack.length && n <= limit) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== "__pycache__") stack.push(path.join(d, e.name));
      } else n++;
    }
  }
  return n;
}

function runPython(python: string, cwd: string, pythonPath: string, modules: string[], timeout: number): Promise<Record<string, { ok: boolean; error: string | null }> | string> {
  const env = { ...process.env, PYTHONPATH: [pythonPath, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONDONTWRITEBYTECODE: "1" };
  return new Promise((resolve) => {
    execFile(python, ["-B", "-c", PROBE, ...modules], { cwd, env, timeout, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        return resolve(JSON.parse(last) as Record<string, { ok: boolean; error: string | null }>);
      } catch {
        if (err && (err as { killed?: boolean }).killed) return resolve(`timed out after ${timeout / 1000} s`);
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT") return resolve(`${python} not found`);
        return resolve((stderr.trim().split("\n").pop() ?? String(err)) || "no output");
      }
    });
  });
}

/** Copy the package to a temp dir, overlay the fixed files (if any) and import the modules there. */
async function importCopy(group: Group, modules: string[], overlay: boolean, options: Required<VerifyOptions>): Promise<Record<string, { ok: boolean; error: string | null }> | string> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-verify-"));
  try {
    fs.cpSync(path.join(group.importRoot, group.top), path.join(temp, group.top), {
      recursive: true,
      filter: (src) => path.basename(src) !== "__pycache__",
    });
    if (overlay) {
      for (const f of group.files) {
        const rel = path.posix.relative(group.importRootRel, f.report.path);
        fs.writeFileSync(path.join(temp, rel), f.bytes);
      }
    }
    return await runPython(options.python, temp, group.importRoot, modules, options.timeoutMs);
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** The packages init-exports filled in this run, grouped by top-level package. */
function groupsOf(report: RunReport): Group[] {
  const groups = new Map<string, Group>();
  for (const f of report.files) {
    if (f.status !== "changed" || !f.changes.some((c) => c.codemod === CODEMOD) || !f.path.endsWith("__init__.py")) continue;
    const root = path.resolve(f.repo);
    const bytes = fixedBytes(root, f);
    if (!bytes) continue;
    const located = locatePackage(projectFs(root), path.posix.dirname(f.path));
    if (!located.ok) continue;
    const { importRoot, dotted } = located.pkg;
    const top = dotted.split(".")[0]!;
    const key = `${root}\0${importRoot}\0${top}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { repo: f.repo, importRoot: path.join(root, importRoot), importRootRel: importRoot, top, files: [] }));
    g.files.push({ report: f, dotted, bytes });
  }
  return [...groups.values()];
}

/** Import every package init-exports filled; failures also say whether the package imported before the fix. */
export async function verifyImports(report: RunReport, options: VerifyOptions = {}): Promise<Verification[]> {
  const opts: Required<VerifyOptions> = { python: options.python ?? "python3", timeoutMs: options.timeoutMs ?? 60_000 };
  const out: Verification[] = [];
  for (const g of groupsOf(report)) {
    const modules = [...new Set([g.top, ...g.files.map((f) => f.dotted)])];
    const files = g.files.map((f) => ({ path: f.report.path, module: f.dotted }));
    const base = { repo: g.repo, files, modules };
    if (countFiles(path.join(g.importRoot, g.top), MAX_FILES) > MAX_FILES) {
      out.push({ ...base, ok: false, failures: [{ module: "", message: `not verified: ${g.top} has more than ${MAX_FILES} files` }] });
      continue;
    }
    const after = await importCopy(g, modules, true, opts);
    if (typeof after === "string") {
      out.push({ ...base, ok: false, failures: [{ module: "", message: `could not run ${opts.python}: ${after}` }] });
      continue;
    }
    const failed = modules.filter((m) => !after[m]?.ok);
    if (failed.length === 0) {
      out.push({ ...base, ok: true, failures: [] });
      continue;
    }
    const before = await importCopy(g, failed, false, opts);
    const failures = failed.map((m) => {
      const error = after[m]?.error ?? "no result";
      const was = typeof before === "string" ? undefined : before[m];
      const missing = /^ModuleNotFoundError: No module named '([^'.]+)/.exec(error)?.[1];
      const hint =
        was && !was.ok && !/__all__ names/.test(was.error ?? "")
          ? " (it failed before the fix too)"
          : missing && missing !== g.top
            ? ` (the fix now imports ${missing} eagerly: is it installed for ${opts.python}?)`
            : "";
      return { module: m, message: `import ${m} failed: ${error}${hint}` };
    });
    out.push({ ...base, ok: false, failures });
  }
  return out;
}

/** The report with each failed verification as a notice on the filled `__init__.py` files. */
export function withVerification(report: RunReport, results: readonly Verification[]): RunReport {
  const notices = new Map<string, Notice[]>();
  for (const v of results) {
    for (const failure of v.failures) {
      // A failure belongs to the file of its module; one of the whole package (or of a top-level package
      // whose __init__.py was not filled) to every filled file.
      const own = v.files.filter((f) => f.module === failure.module);
      for (const f of own.length ? own : v.files) {
        const key = `${v.repo}\0${f.path}`;
        notices.set(key, [...(notices.get(key) ?? []), { codemod: CODEMOD, line: 1, column: 1, message: `--verify: ${failure.message}` }]);
      }
    }
  }
  if (notices.size === 0) return report;
  return { ...report, files: report.files.map((f) => (notices.has(`${f.repo}\0${f.path}`) ? { ...f, notices: [...f.notices, ...notices.get(`${f.repo}\0${f.path}`)!] } : f)) };
}

/** One line for stderr: what --verify did. */
export function verificationSummary(results: readonly Verification[]): string {
  if (results.length === 0) return "--verify: no package was filled by init-exports; nothing to import\n";
  const bad = results.filter((r) => !r.ok);
  const names = results.map((r) => r.modules[0]).join(", ");
  return bad.length === 0
    ? `--verify: imported ${names} with the fixes in place: every name in __all__ resolves\n`
    : `--verify: ${bad.length} of ${results.length} package${results.length === 1 ? "" : "s"} failed to import with the fixes in place (see the notices)\n`;
}
