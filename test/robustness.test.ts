/**
 * Robustness at the edges of a run: terminal control sequences from scanned names and code
 * never reach a terminal raw (text report, summary table, progress bar, branch report, usage
 * errors) while the JSON and patch reports keep the text as it is; an invalid configuration
 * fails its own repository of a batch, not the batch; a symlink named on the command line is
 * skipped like one met while walking, and a symlinked directory named there is walked.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { narrowExcept } from "../codemods/narrow-except.js";
import { verifySsl } from "../codemods/verify-ssl.js";
import { ConfigError, planBatch, planRuns } from "../src/config.js";
import { discover } from "../src/engine/discover.js";
import { progressBar } from "../src/engine/progress.js";
import type { RunReport } from "../src/engine/report.js";
import { runFix } from "../src/engine/run.js";
import type { BranchReport } from "../src/git/branch.js";
import { renderBranchText } from "../src/git/report.js";
import { renderJson } from "../src/reports/json.js";
import { renderPatch } from "../src/reports/patch.js";
import { renderSummary, renderText } from "../src/reports/text.js";
import { displayPath, visibleDiff, visibleText } from "../src/visible.js";
import { setup } from "./helpers.js";
import { runCli, type CliRun } from "./run-cli.js";

beforeAll(setup);

const ESC = "\u001b";
const BEL = "\u0007";
const CSI = "\u009b"; // the C1 form of ESC [

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-robust-"));
}

function write(root: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Controls left after removing the colour codes we add (`ESC [ n m`); newlines and tabs are layout. */
function rawControls(out: string): string[] {
  // eslint-disable-next-line no-control-regex
  return [...out.replace(/\u001b\[\d+m/g, "").matchAll(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g)].map((m) => m[0]);
}


const cli = (args: string[], cwd: string): Promise<CliRun> => runCli(args, { cwd });

const FIXABLE = "import json\n\n\ndef load(path):\n    try:\n        with open(path) as f:\n            return json.load(f)\n    except:\n        return None\n";
const VERIFY = (url: string): string => `import requests\n\nrequests.get("${url}", verify=False)\n`;

describe("terminal-safe text", () => {
  it("escapes controls visibly, quotes odd names like git, keeps tabs and CRLF endings in diffs", () => {
    expect(visibleText(`a${ESC}[2Jb${BEL}c${CSI}31md\u007f\u202e`)).toBe("a\\x1b[2Jb\\x07c\\x9b31md\\x7f\\u202e");
    expect(visibleText("tab\there\nnext")).toBe("tab\\there\\nnext");
    expect(visibleText("tab\there", { keepTab: true })).toBe("tab\there");
    expect(visibleText("plain \\x1b text é")).toBe("plain \\x1b text é");
    expect(displayPath(`${ESC}]0;pwned${BEL}.py`)).toBe('"\\x1b]0;pwned\\x07.py"');
    expect(displayPath("pkg/é.py")).toBe("pkg/é.py");
    expect(displayPath('q"b\\.py')).toBe('"q\\"b\\\\.py"');
    expect(visibleDiff("-a\r\n+\tb\r\n c\r")).toBe("-a\r\n+\tb\r\n c\r");
    expect(visibleDiff(`-x = "${ESC}[2J"\r\n+y\rz\n`)).toBe('-x = "\\x1b[2J"\r\n+y\\rz\n');
  });

  describe("reports of a repository with hostile names and contents", () => {
    const TITLE = `${ESC}]0;pwned${BEL}`;
    const names = { title: `${TITLE}.py`, clear: `clear${ESC}[2J.py`, c1: `c1${CSI}2J.py` };
    let root: string;
    let report: RunReport;

    beforeAll(async () => {
      root = write(tmp(), {
        [names.title]: FIXABLE,
        [names.clear]: VERIFY(`https://x/${ESC}[2J${BEL}`),
        [names.c1]: VERIFY(`https://x/${CSI}31m`),
        [`broken${ESC}[5m.py`]: "def f(:\n    pass\n", // no codemod admits it...
        [`syntax${ESC}[5m.py`]: "import requests\nrequests.get('x', verify=False\n", // ...this one is skipped with a reason
      });
      report = await runFix({ paths: [root], codemods: [narrowExcept, verifySsl], jobs: 1 });
      expect(report.summary).toMatchObject({ filesChanged: 3, filesSkipped: 1 });
    });

    for (const color of [false, true]) {
      it(`the text report shows them escaped, never raw (color ${color}); our colours stay`, () => {
        const out = renderText(report, { color });
        expect(rawControls(out)).toEqual([]);
        expect(out).toContain(`"${root}/\\x1b]0;pwned\\x07.py":8:5`); // a change's location, git-quoted
        expect(out).toContain("clear\\x1b[2J.py"); // the diff header, git's octal quoting kept
        expect(out).toContain('requests.get("https://x/\\x1b[2J\\x07", verify=False)'); // a diff line
        expect(out).toContain("\\x9b31m");
        expect(out).toContain(`"${root}/syntax\\x1b[5m.py": syntax error`);
        if (color) expect(out).toContain(`${ESC}[32m+`);
        else expect(out).not.toContain(ESC);
      });
    }

    it("JSON and patch reports carry the names and lines unchanged", () => {
      const json = JSON.parse(renderJson(report)) as { files: { path: string; diff?: string }[] };
      expect(json.files.map((f) => f.path)).toEqual(expect.arrayContaining(Object.values(names)));
      const clear = json.files.find((f) => f.path === names.clear)!;
      expect(clear.diff).toContain(`+requests.get("https://x/${ESC}[2J${BEL}", verify=True)`);
      const patch = Buffer.from(renderPatch(report)).toString("utf8");
      expect(patch).toContain('--- "a/\\033]0;pwned\\a.py"'); // git-quoted, as before
      expect(patch).toContain(`+requests.get("https://x/${ESC}[2J${BEL}", verify=True)`);
      expect(patch).toContain(`+requests.get("https://x/${CSI}31m", verify=True)`);
    });
  });

  it("the per-repository table and the progress bar quote repository names", () => {
    const evil = `repo${ESC}]0;pwned${BEL}`;
    const report: RunReport = {
      tool: { name: "pyremedy", version: "0" },
      summary: { repos: 2, filesScanned: 0, filesChanged: 0, filesSkipped: 0, filesFailed: 0, changes: 0, byCodemod: {} },
      files: [],
      env: [],
      write: false,
      repos: [evil, "plain"],
    };
    const table = renderSummary(report, { color: false });
    expect(rawControls(table)).toEqual([]);
    expect(table).toContain('"repo\\x1b]0;pwned\\x07"');

    let drawn = "";
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    stream.on("data", (d) => (drawn += d));
    const bar = progressBar(stream);
    bar.start(2);
    bar.advance(evil);
    bar.stop();
    expect(drawn).not.toContain(`${ESC}]0;`);
    expect(drawn).not.toContain(BEL);
  });

  it("the branch report escapes controls in reasons, subjects and pull request text", () => {
    const report: BranchReport = {
      tool: { name: "pyremedy", version: "0" },
      summary: { repos: 1, created: 0, updated: 0, upToDate: 0, nothingToFix: 0, skipped: 0, failed: 1, commits: 0, pushed: 0, pullRequests: 0 },
      repos: [{
        repo: `r${ESC}[2J`, status: "failed", kind: "git", reason: `git: pathspec '${ESC}]0;x${BEL}' did not match`,
        branch: "pyremedy/fixes", where: "local", commits: [], byCodemod: {}, pushed: false, leftovers: { notices: [], failed: [] },
      }],
    } as unknown as BranchReport;
    const out = renderBranchText(report);
    expect(rawControls(out)).toEqual([]);
    expect(out).toContain("\\x1b]0;x\\x07");
  });

  it("a control sequence in a pyproject.toml key is escaped in the usage error", async () => {
    const root = write(tmp(), { "pyproject.toml": `[tool.pyremedy]\n"${"\\u001b"}]0;pwned${"\\u0007"}" = 1\n`, "a.py": FIXABLE });
    const r = await cli(["fix", "--jobs", "1", "."], root);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("unknown key '\\x1b]0;pwned\\x07'");
    expect(rawControls(r.stdout)).toEqual([]);
  });
});

describe("an invalid configuration in a batch fails its own repository only", () => {
  function fleet(): string {
    const ws = tmp();
    write(ws, { "a/app.py": FIXABLE, "b/app.py": FIXABLE, "c/app.py": FIXABLE });
    for (const r of ["a", "b", "c"]) fs.mkdirSync(path.join(ws, r, ".git"));
    fs.writeFileSync(path.join(ws, "b/pyproject.toml"), `[tool.pyremedy]\nexlude = ["vendor"]\n`);
    fs.writeFileSync(path.join(ws, "c/pyproject.toml"), `[tool.pyremedy]\nselect = ["narrow-except"]\n`);
    fs.writeFileSync(path.join(ws, "repos.txt"), "a\nb # broken configuration\nc\n");
    return ws;
  }

  it("planBatch sets the broken paths aside with their errors; planRuns still throws", () => {
    const ws = fleet();
    const paths = ["a", "b", "c"].map((r) => path.join(ws, r));
    const plan = planBatch(paths, {});
    expect(plan.groups.flatMap((g) => g.paths)).toEqual([paths[0], paths[2]]);
    expect(plan.failed.map((f) => f.path)).toEqual([paths[1]]);
    expect(plan.failed[0]!.error).toBeInstanceOf(ConfigError);
    expect(() => planRuns(paths, {})).toThrow(/unknown key 'exlude'/);
    expect(() => planBatch(paths, { select: ["nope"] })).toThrow(/--select: unknown codemod 'nope'/); // a flag concerns every path
  });

  it("--repos: the others are fixed and written, the broken one is a failed repository (exit 2)", async () => {
    const ws = fleet();
    const r = await cli(["fix", "--jobs", "1", "--write", "--format", "json", "--repos", "repos.txt"], ws);
    expect(r.code, r.stdout).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toMatchObject({ repos: 3, filesScanned: 2, filesChanged: 2, filesFailed: 1 });
    expect(report.files.map((f: { repo: string; path: string; status: string }) => [f.repo, f.path, f.status])).toEqual([
      ["a", "app.py", "changed"],
      ["b", "", "failed"],
      ["c", "app.py", "changed"],
    ]);
    expect(report.files[1].reason).toBe(`${path.join(ws, "b/pyproject.toml")}: unknown key 'exlude' in [tool.pyremedy] (did you mean 'exclude'?) (known: select, ignore, exclude, include-tests, branch, base, and a table per codemod: [tool.pyremedy.init-exports], [tool.pyremedy.narrow-except], [tool.pyremedy.secrets-to-env], [tool.pyremedy.verify-ssl])`);
    expect(fs.readFileSync(path.join(ws, "a/app.py"), "utf8")).not.toBe(FIXABLE);
    expect(fs.readFileSync(path.join(ws, "b/app.py"), "utf8")).toBe(FIXABLE);
    expect(fs.readFileSync(path.join(ws, "c/app.py"), "utf8")).not.toBe(FIXABLE);
  });

  it("several paths, text report: the failure is listed with its reason and counted in the table", async () => {
    const ws = fleet();
    fs.writeFileSync(path.join(ws, "b/pyproject.toml"), `[tool.pyremedy]\nselect = ["narrow-except"\n`); // broken TOML
    const r = await cli(["fix", "--jobs", "1", "a", "b", "c"], ws);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Failed:\n {2}b\/: .*b\/pyproject\.toml:3:\d+: invalid TOML/);
    expect(r.stdout).toMatch(/^b +0 +0 +1/m);
    // The failed repository's entry is no file scanned.
    expect(r.stdout).toContain("2 changes in 2 files would change (2 scanned, 0 skipped, 1 failed, 3 repos)");
  });

  it("one repository, or paths sharing one broken configuration, or --show-config: a usage error, nothing run", async () => {
    const ws = fleet();
    const one = await cli(["fix", "--jobs", "1", "--write", "b"], ws);
    expect(one.code).toBe(2);
    expect(one.stdout).toContain(`${path.join(ws, "b/pyproject.toml")}: unknown key 'exlude' in [tool.pyremedy]`);
    expect(one.stdout).not.toContain("scanned");
    expect(fs.readFileSync(path.join(ws, "b/app.py"), "utf8")).toBe(FIXABLE);

    fs.mkdirSync(path.join(ws, "b/sub"));
    fs.writeFileSync(path.join(ws, "b/sub/mod.py"), FIXABLE);
    const shared = await cli(["fix", "--jobs", "1", "b/app.py", "b/sub"], ws);
    expect(shared.code).toBe(2);
    expect(shared.stdout).toContain("unknown key 'exlude'");
    expect(shared.stdout).not.toContain("scanned");

    const shown = await cli(["fix", "--show-config", "a", "b"], ws);
    expect(shown.code).toBe(2);
    expect(shown.stdout).toContain("unknown key 'exlude'");
  });
});

describe("a batch whose configurations are all broken", () => {
  it("still gets its report, every repository failed with its reason (exit 2), --output written", async () => {
    const ws = tmp();
    write(ws, { "b/app.py": FIXABLE, "c/app.py": FIXABLE });
    fs.writeFileSync(path.join(ws, "b/pyproject.toml"), `[tool.pyremedy]\nexlude = ["vendor"]\n`);
    fs.writeFileSync(path.join(ws, "c/pyproject.toml"), `[tool.pyremedy]\nselect = "narrow-except"\n`);
    fs.writeFileSync(path.join(ws, "repos.txt"), "b\nc\n");
    const text = await cli(["fix", "--jobs", "1", "b", "c"], ws);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/Failed:\n {2}b\/: .*unknown key 'exlude'/);
    expect(text.stdout).toContain("c/pyproject.toml: [tool.pyremedy] select must be a list");
    expect(text.stdout).toContain("0 changes in 0 files would change (0 scanned, 0 skipped, 2 failed, 2 repos)");
    const out = path.join(ws, "report.json");
    const json = await cli(["fix", "--jobs", "1", "--write", "--format", "json", "--output", out, "--repos", "repos.txt"], ws);
    expect(json.code).toBe(2);
    const report = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(report.files.map((f: { repo: string; path: string; status: string }) => [f.repo, f.path, f.status])).toEqual([
      ["b", "", "failed"],
      ["c", "", "failed"],
    ]);
    for (const r of ["b", "c"]) expect(fs.readFileSync(path.join(ws, r, "app.py"), "utf8")).toBe(FIXABLE);
  });
});

describe("symlinks named on the command line", () => {
  it("a link to a file outside is skipped like a walked one: never read, never written through (exit 0)", async () => {
    const outside = write(tmp(), { "secret.py": FIXABLE });
    const dir = write(tmp(), { "a.py": FIXABLE });
    fs.symlinkSync(path.join(outside, "secret.py"), path.join(dir, "link.py"));
    for (const write of [false, true]) {
      const report = await runFix({ paths: [path.join(dir, "link.py")], codemods: [narrowExcept], write, jobs: 1 });
      expect(report.files.map((f) => [f.path, f.status, f.reason])).toEqual([["link.py", "skipped", "symlink points outside the root"]]);
      expect(report.summary.filesFailed).toBe(0);
    }
    expect(fs.readFileSync(path.join(outside, "secret.py"), "utf8")).toBe(FIXABLE);
    expect(fs.lstatSync(path.join(dir, "link.py")).isSymbolicLink()).toBe(true);

    const r = await cli(["fix", "--jobs", "1", "--write", "link.py"], dir);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain("Skipped:\n  link.py: symlink points outside the root\n");
  });

  it("a link inside the project names its target; a broken one is skipped too; real files named beside them are fixed", async () => {
    const dir = write(tmp(), { "pkg/real.py": FIXABLE, "other.py": FIXABLE });
    fs.mkdirSync(path.join(dir, ".git"));
    fs.symlinkSync("pkg/real.py", path.join(dir, "alias.py"));
    fs.symlinkSync("nowhere.py", path.join(dir, "broken.py"));
    const named = ["alias.py", "broken.py", "other.py"].map((f) => path.join(dir, f));
    const d = discover(named);
    expect(d.targets.map((t) => t.relPath)).toEqual(["other.py"]);
    expect(d.problems.map((p) => [p.relPath, p.status, p.reason])).toEqual([
      ["alias.py", "skipped", "symlink to pkg/real.py"],
      ["broken.py", "skipped", "broken symlink"],
    ]);
    // The walk says the same of the same links.
    const walked = discover([dir]).problems.map((p) => [p.relPath, p.status, p.reason]);
    expect(walked).toEqual([
      ["alias.py", "skipped", "symlink to pkg/real.py"],
      ["broken.py", "skipped", "broken symlink"],
    ]);
    const report = await runFix({ paths: named, codemods: [narrowExcept], write: true, jobs: 1 });
    expect(report.files.map((f) => [f.path, f.status])).toEqual([["alias.py", "skipped"], ["broken.py", "skipped"], ["other.py", "changed"]]);
    expect(fs.readFileSync(path.join(dir, "pkg/real.py"), "utf8")).toBe(FIXABLE);
    expect(fs.lstatSync(path.join(dir, "alias.py")).isSymbolicLink()).toBe(true);
  });

  it("a link to a directory is the root the user chose: its target is walked under the name given, links inside keep the walk's rules", async () => {
    const ws = tmp();
    const real = write(path.join(ws, "real"), { "app.py": FIXABLE, "pkg/mod.py": FIXABLE });
    const outside = write(path.join(ws, "outside"), { "x.py": FIXABLE });
    fs.symlinkSync(path.join(outside, "x.py"), path.join(real, "out.py"));
    fs.symlinkSync("real", path.join(ws, "current"));
    const r = await cli(["fix", "--jobs", "1", "--write", "--format", "json", "current"], ws);
    expect(r.code, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.files.map((f: { repo: string; path: string; status: string }) => [f.repo, f.path, f.status])).toEqual([
      ["current", "app.py", "changed"],
      ["current", "out.py", "skipped"],
      ["current", "pkg/mod.py", "changed"],
    ]);
    expect(fs.readFileSync(path.join(real, "app.py"), "utf8")).not.toBe(FIXABLE);
    expect(fs.lstatSync(path.join(ws, "current")).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(outside, "x.py"), "utf8")).toBe(FIXABLE);
  });
});
