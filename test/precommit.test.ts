/**
 * The pre-commit hooks, run the way pre-commit runs them: the staged files filtered by the
 * hook's `types`, `shlex.split(entry) + args + filenames` from the repository root, and the
 * hook failed when it exits non-zero or leaves the working tree changed. `pyremedy` is the
 * built binary, as `npm install -g` of the hook repository puts it on PATH.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FIXTURES, ROOT } from "./helpers.js";

const BIN = path.join(ROOT, "dist/src/cli/main.js");

interface Hook {
  id: string;
  name: string;
  entry: string;
  language: string;
  types?: string[];
  args?: string[];
  files?: string;
  exclude?: string;
  pass_filenames?: boolean;
  require_serial?: boolean;
  [key: string]: unknown;
}

/** The keys pre-commit's manifest schema accepts for a hook. */
const MANIFEST_KEYS = new Set([
  "id", "name", "entry", "language", "alias", "files", "exclude", "types", "types_or", "exclude_types", "additional_dependencies",
  "args", "always_run", "fail_fast", "pass_filenames", "description", "language_version", "log_file", "minimum_pre_commit_version",
  "require_serial", "stages", "verbose",
]);

const hooks: Hook[] = parse(fs.readFileSync(path.join(ROOT, ".pre-commit-hooks.yaml"), "utf8"));
const hook = (id: string): Hook => hooks.find((h) => h.id === id)!;

/** shlex.split for the quoting an entry may use. */
function shlexSplit(s: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of s.matchAll(re)) words.push(m[1]?.replace(/\\(.)/g, "$1") ?? m[2] ?? m[3]!);
  return words;
}

/** identify's `python` tag: a .py/.pyi name, or an executable with a python shebang. */
function isPython(abs: string): boolean {
  if (/\.pyi?$/.test(abs)) return true;
  const head = fs.readFileSync(abs).subarray(0, 128).toString("latin1");
  return /^#!.*\bpython[0-9.]*\b/.test(head);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" } });
}

interface HookRun {
  readonly code: number;
  readonly output: string;
  readonly filenames: string[];
  /** pre-commit's verdict: exit code 0 and no change to the working tree. */
  readonly passed: boolean;
  readonly modifiedFiles: boolean;
}

/** What `pre-commit run <id>` does with the staged files of `repo`. */
function runHook(h: Hook, repo: string): HookRun {
  const staged = git(repo, "diff", "--staged", "--name-only", "--diff-filter=ACMRTUXB", "-z").split("\0").filter(Boolean);
  const include = new RegExp(h.files ?? "");
  const exclude = new RegExp(h.exclude ?? "^$");
  const filenames = staged.filter((f) => include.test(f) && !exclude.test(f) && (!h.types?.includes("python") || isPython(path.join(repo, f))));
  if (filenames.length === 0) return { code: 0, output: "", filenames, passed: true, modifiedFiles: false };
  const [exe, ...entryArgs] = shlexSplit(h.entry);
  expect(exe).toBe("pyremedy"); // the package's bin name
  const argv = [BIN, ...entryArgs, ...(h.args ?? []), ...(h.pass_filenames === false ? [] : filenames)];
  const before = git(repo, "diff");
  const r = spawnSync(process.execPath, argv, { cwd: repo, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const modifiedFiles = git(repo, "diff") !== before;
  return { code: r.status ?? -1, output: r.stdout + r.stderr, filenames, passed: r.status === 0 && !modifiedFiles, modifiedFiles };
}

/** A git repository holding the ticket-bot sample, all of it staged, with a pyproject.toml. */
function stagedRepo(pyproject: string, extra: Record<string, string> = {}): string {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-precommit-"));
  fs.cpSync(path.join(FIXTURES, "sample-repos/ticket-bot"), repo, { recursive: true });
  fs.writeFileSync(path.join(repo, "pyproject.toml"), pyproject);
  for (const [rel, text] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), text);
  }
  git(repo, "init", "-q");
  git(repo, "add", ".");
  return repo;
}

const TLS = 'import requests\n\n\ndef ping():\n    return requests.get("https://status.local", verify=False)\n';

describe(".pre-commit-hooks.yaml", () => {
  it("declares the check and the fix hook the way pre-commit's manifest wants them", () => {
    expect(hooks.map((h) => h.id)).toEqual(["pyremedy", "pyremedy-fix"]);
    for (const h of hooks) {
      for (const key of Object.keys(h)) expect(MANIFEST_KEYS.has(key), `${h.id}: ${key}`).toBe(true);
      expect(h).toMatchObject({ language: "node", types: ["python"], require_serial: true });
      expect(typeof h.name).toBe("string");
      expect(h.pass_filenames).toBeUndefined(); // pre-commit's default: file names as arguments
    }
    expect(shlexSplit(hook("pyremedy").entry)).toEqual(["pyremedy", "fix"]);
    expect(shlexSplit(hook("pyremedy-fix").entry)).toEqual(["pyremedy", "fix", "--write"]);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.bin.pyremedy).toBe("dist/bundle/pyremedy.js"); // what `language: node` puts on PATH
    expect(pkg.scripts.prepare).toMatch(/build|tsc/); // the hook repo is installed from source: it must build itself
  });
});

describe("installing the hook repository", () => {
  it("`npm pack` prints only the tarball name, which pre-commit installs (the prepare build's output stays off stdout)", () => {
    // pre-commit's node install: `npm install`, then `npm install -g <stdout of npm pack>`.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-pack-"));
    fs.copyFileSync(path.join(ROOT, ".npmrc"), path.join(dir, ".npmrc"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "hook", version: "1.0.0", scripts: { prepare: "echo building" } }));
    const stdout = execFileSync("npm", ["pack"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(stdout.trim()).toBe("hook-1.0.0.tgz");
    expect(fs.existsSync(path.join(dir, "hook-1.0.0.tgz"))).toBe(true);
  });
});

describe("the hooks, run as pre-commit runs them", () => {
  it("pyremedy fails while fixes are pending; pyremedy-fix applies them; then pyremedy passes", () => {
    const repo = stagedRepo(`[tool.pyremedy]\nselect = ["verify-ssl"]\nexclude = ["vendored"]\n`, {
      "bot/vendored/tls.py": TLS,
      "scripts/healthcheck": `#!/usr/bin/env python3\n${TLS}`,
      "notes.txt": "verify=False\n",
    });
    const check = runHook(hook("pyremedy"), repo);
    expect(check.filenames).toEqual(["bot/__init__.py", "bot/helpdesk.py", "bot/main.py", "bot/vendored/tls.py", "scripts/healthcheck"]);
    expect(check.code).toBe(1);
    expect(check.passed).toBe(false);
    expect(check.modifiedFiles).toBe(false);
    expect(check.output).toContain("--- a/bot/helpdesk.py");
    expect(check.output).toContain("--- a/scripts/healthcheck");
    expect(check.output).toContain("Preview only");
    expect(check.output).not.toContain("--- a/bot/vendored/tls.py");
    expect(check.output).toContain("bot/vendored/tls.py: excluded (exclude pattern)"); // by [tool.pyremedy]

    const fix = runHook(hook("pyremedy-fix"), repo);
    expect(fix.code).toBe(0);
    expect(fix.modifiedFiles).toBe(true);
    expect(fix.passed).toBe(false); // "files were modified by this hook": the commit stops for review
    const changed = git(repo, "diff", "--name-only").trim().split("\n");
    expect(changed).toEqual(["bot/helpdesk.py", "bot/main.py", "scripts/healthcheck"]);
    expect(fs.readFileSync(path.join(repo, "bot/vendored/tls.py"), "utf8")).toBe(TLS);
    expect(fs.readFileSync(path.join(repo, "scripts/healthcheck"), "utf8")).toContain("verify=True");

    git(repo, "add", "-u"); // the user reviews and stages the fixes
    const again = runHook(hook("pyremedy"), repo);
    expect(again.code, again.output).toBe(0);
    expect(again.passed).toBe(true);
    expect(runHook(hook("pyremedy-fix"), repo).passed).toBe(true);
  });

  it("passes when nothing is pending, and is not run without Python files", () => {
    const clean = stagedRepo(`[tool.pyremedy]\nselect = ["verify-ssl"]\n`);
    fs.rmSync(path.join(clean, "bot/helpdesk.py"));
    fs.rmSync(path.join(clean, "bot/main.py"));
    fs.writeFileSync(path.join(clean, "bot/ping.py"), TLS.replace("verify=False", "timeout=5"));
    git(clean, "add", "-A");
    const r = runHook(hook("pyremedy"), clean);
    expect(r.filenames.length).toBeGreaterThan(0);
    expect(r.code, r.output).toBe(0);
    expect(r.passed).toBe(true);

    const docs = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-precommit-"));
    fs.writeFileSync(path.join(docs, "README.md"), "# docs\n");
    git(docs, "init", "-q");
    git(docs, "add", ".");
    expect(runHook(hook("pyremedy"), docs)).toMatchObject({ filenames: [], passed: true });
  });

  it("a broken configuration fails the hook with a message naming the key and the file", () => {
    const repo = stagedRepo(`[tool.pyremedy]\nselects = ["verify-ssl"]\n`);
    const r = runHook(hook("pyremedy"), repo);
    expect(r.code).toBe(2);
    expect(r.output).toContain(`unknown key 'selects' in [tool.pyremedy] (did you mean 'select'?)`);
    expect(r.output).toContain(path.join(fs.realpathSync(repo), "pyproject.toml"));
  });
});
