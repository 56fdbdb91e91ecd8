/**
 * Hostile input: file names that look like options (`-rf.py`, `--output=victim.py`) or shell
 * (`$(touch PWNED).py`, backticks, `;`), with spaces, tabs, newlines, quotes, backslashes and
 * non-ASCII, holding code crafted to look like shell or git options. Through the built binary:
 * `fix --write`, the patch report (`git apply`), the pre-commit hooks as pre-commit runs them,
 * and `branch` (git) — nothing is executed, no name reaches an option position, every file is
 * fixed, and the patch gives exactly what --write gives. Plus a scan of the sources: child
 * processes only through execFile/spawn with argument arrays, never a shell.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

const BIN = path.join(ROOT, "dist/src/cli/main.js");

/** Every name is a trap for a shell, an option parser or a patch header. */
const NAMES = [
  "-rf.py",
  "--output=victim.py",
  "--write.py",
  "-sub/x.py",
  "$(touch PWNED-subst).py",
  "`touch PWNED-backtick`.py",
  ";touch PWNED-semicolon;.py",
  "a b.py",
  "new\nline.py",
  "tab\tname.py",
  "quote\"and'apos.py",
  "back\\slash.py",
  "ünïcödé.py",
  "victim.py",
];

/** Code that looks like options and shell to anything that would pass it on. */
const BODY = [
  "import requests",
  "",
  "",
  "def fetch(url):",
  "    # --upload-pack=touch PWNED-upload-pack",
  '    marker = "$(touch PWNED-in-string)"',
  "    try:",
  "        return requests.get(url, verify=False)",
  "    except:",
  '        return "--exec=touch PWNED-exec"',
  "",
].join("\n");

const SELECT = ["--select", "narrow-except,verify-ssl"];

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd, encoding: "utf8" });
}

/** A committed git repository holding every hostile name. */
function hostileRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-hostile-"));
  for (const name of NAMES) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), BODY);
  }
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "hostile");
  return dir;
}

function cli(cwd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function contents(dir: string): Map<string, string> {
  return new Map(NAMES.map((n) => [n, fs.readFileSync(path.join(dir, n), "utf8")]));
}

/** Nothing a trap names was created: not in the repo, not in the working directory, not in the temp dir. */
function pwned(...dirs: string[]): string[] {
  // The temp dir is shared with suites running in parallel (their directories come and go): its top level only.
  const names = (d: string, recursive: boolean): string[] => fs.readdirSync(d, { recursive }) as string[];
  return [...dirs.map((d) => names(d, true)), names(process.cwd(), false), names(os.tmpdir(), false)]
    .flat()
    .filter((p) => /PWNED/.test(path.basename(p)) && !/\.py$/.test(p));
}

describe("hostile file names and contents", () => {
  it("fix --write fixes every file, executes nothing, and the patch report applies to exactly the same result", () => {
    const written = hostileRepo();
    const patched = hostileRepo();
    const w = cli(written, ["fix", "--write", "--format", "json", ...SELECT, "."]);
    expect(w.code, w.stderr).toBe(0);
    const report = JSON.parse(w.stdout) as { files: { path: string; status: string }[] };
    expect(report.files.map((f) => f.path).sort()).toEqual([...NAMES].sort());
    expect(report.files.every((f) => f.status === "changed")).toBe(true);
    for (const [name, text] of contents(written)) {
      expect(text, name).toContain("verify=True");
      expect(text, name).toContain("except Exception:");
    }

    const p = cli(written, ["fix", "--format", "patch", ...SELECT, "."]);
    expect(p.code).toBe(0); // nothing left to change
    const patch = cli(patched, ["fix", "--format", "patch", ...SELECT, "."]).stdout;
    expect(patch).toContain('--- "a/new\\nline.py"');
    expect(patch).toContain('+++ "b/tab\\tname.py"');
    expect(patch).not.toMatch(/^--- a\/new$/m);
    execFileSync("git", ["apply", "-"], { cwd: patched, input: patch });
    expect(contents(patched)).toEqual(contents(written));
    expect(pwned(written, patched)).toEqual([]);
  });

  it("the pre-commit hooks pass file names after `--`: `--output=victim.py` stays a file name", () => {
    const repo = hostileRepo();
    const hooks = parseYaml(fs.readFileSync(path.join(ROOT, ".pre-commit-hooks.yaml"), "utf8")) as { id: string; entry: string; args?: string[] }[];
    const fix = hooks.find((h) => h.id === "pyremedy-fix")!;
    expect(fix.args).toEqual(["--"]);
    // pre-commit runs `entry + args + file names` from the repository root.
    const [, ...entry] = fix.entry.split(" ");
    const r = cli(repo, [...entry, ...fix.args!, ...NAMES]);
    expect(r.code, r.stderr).toBe(0);
    for (const [name, text] of contents(repo)) expect(text, name).toMatch(/^import requests\n/);
    expect(fs.readFileSync(path.join(repo, "victim.py"), "utf8")).toContain("verify=True");
    // Without the separator, the name would have been an option: the report would overwrite victim.py.
    const unsafe = hostileRepo();
    cli(unsafe, ["fix", "--output=victim.py", "a b.py"]);
    expect(fs.readFileSync(path.join(unsafe, "victim.py"), "utf8")).not.toMatch(/^import requests\n/);
    expect(pwned(repo)).toEqual([]);
  });

  it("branch commits every hostile name through git, runs no command from the repository's config", () => {
    const repo = hostileRepo();
    const marker = path.join(os.tmpdir(), `pyremedy-fsmonitor-${process.pid}`);
    git(repo, "config", "core.fsmonitor", `${process.execPath} -e "require('fs').writeFileSync('${marker}', '')"`);
    const r = cli(repo, ["branch", ...SELECT, "."]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const changed = git(repo, "diff", "--name-only", "-z", "HEAD", "pyremedy/fixes").split("\0").filter(Boolean).sort();
    expect(changed).toEqual([...NAMES].sort());
    expect(git(repo, "show", "pyremedy/fixes:new\nline.py")).toContain("verify=True");
    expect(fs.existsSync(marker), "core.fsmonitor ran").toBe(false);
    expect(pwned(repo)).toEqual([]);
  });
});

describe("the sources never reach a shell", () => {
  const files = ["src", "codemods"].flatMap((d) => (fs.readdirSync(path.join(ROOT, d), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => path.join(ROOT, d, f)));

  it("child processes only through execFile/spawn with an argument array, of git, gh or python, never with a shell", () => {
    const spawners: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      const rel = path.relative(ROOT, file);
      const imported = /import\s*\{([^}]*)\}\s*from\s*"node:child_process"/.exec(text)?.[1] ?? "";
      const names = imported.split(",").map((n) => n.trim()).filter(Boolean);
      expect(names.filter((n) => !["execFile", "execFileSync", "spawn", "spawnSync"].includes(n)), rel).toEqual([]);
      expect(text, `${rel} imports child_process wholesale`).not.toMatch(/import\s+\*\s+as\s+\w+\s+from\s+"node:child_process"|import\s+\w+\s+from\s+"node:child_process"/);
      expect(text, `${rel} asks for a shell`).not.toMatch(/\bshell\s*:/);
      for (const m of text.matchAll(/\b(execFile|execFileSync|spawn|spawnSync)\(\s*([^,]+),\s*(\S)/g)) {
        spawners.push(`${rel}: ${m[2]!.trim()}`);
        expect(m[3], `${rel}: ${m[0]} takes an argument array`).toMatch(/[[.a-zA-Z]/);
      }
    }
    expect(spawners.length).toBeGreaterThan(0);
    for (const s of spawners) expect(s).toMatch(/: ("git"|"gh"|python)$/);
  });
});
