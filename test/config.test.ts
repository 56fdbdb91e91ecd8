/**
 * Configuration: [tool.pyremedy] in the nearest pyproject.toml, validation, merging with the
 * command line, --show-config, and options reaching codemods.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import picomatch from "picomatch";
import { beforeAll, describe, expect, it } from "vitest";
import { optionValue, type Codemod } from "../src/codemod.js";
import { anchorGlob, ConfigError, ConfigFinder, isPlausibleBranchName, parseConfig, planRuns, renderSettings, resolveSettings } from "../src/config.js";
import { explainCodemod } from "../src/docs.js";
import { discover } from "../src/engine/discover.js";
import { runFix } from "../src/engine/run.js";
import { setup } from "./helpers.js";
import { runCli, type CliRun } from "./run-cli.js";

beforeAll(setup);

/** A codemod that appends its configured word to every `TODO` comment it sees. */
const tagger: Codemod = {
  id: "tag-todo", title: "Tag TODOs", what: "", why: "", safety: "safe", safetyNote: "", example: { before: "", after: "" },
  peers: [], references: [],
  options: [
    { name: "word", type: "string", default: "later", description: "What to append" },
    { name: "style", type: "string", default: "plain", choices: ["plain", "loud"], description: "How" },
    { name: "max", type: "integer", default: 10, description: "Validated, not used" },
    { name: "skip", type: "string-list", default: [], description: "Files to leave alone" },
    { name: "enabled", type: "boolean", default: true, description: "Off switch" },
  ],
  mayApply: (text) => text.includes("# TODO"),
  produce(file, ctx) {
    if (!optionValue<boolean>(ctx, tagger, "enabled") || optionValue<string[]>(ctx, tagger, "skip").includes(file.relPath)) return { changes: [] };
    const word = optionValue<string>(ctx, tagger, "word");
    const text = optionValue<string>(ctx, tagger, "style") === "loud" ? word.toUpperCase() : word;
    const changes = [];
    for (let i = file.text.indexOf("# TODO\n"); i >= 0; i = file.text.indexOf("# TODO\n", i + 1)) {
      const { line, column } = file.position(i);
      changes.push({ codemod: "tag-todo", line, column, safety: "safe" as const, description: "tag", edits: [{ start: i + 6, end: i + 6, text: ` ${text}` }] });
    }
    return { changes };
  },
};
const plain: Codemod = { ...tagger, id: "plain", options: undefined, mayApply: () => false };
const FAKES = [plain, tagger];

function tmp(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-config-")));
}

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

const run = (args: string[], cwd?: string): Promise<CliRun> => runCli(args, { cwd });

describe("parsing and validation", () => {
  const F = "/p/pyproject.toml";

  it("reads every key, and option tables per codemod", () => {
    const config = parseConfig(
      `[project]\nname = "x"\n\n[tool.pyremedy]\nselect = ["tag-todo", "plain"]\nignore = ["plain"]\nexclude = ["legacy/**", "*_pb2.py"]\n` +
        `include-tests = true\nbranch = "bots/pyremedy"\nbase = "origin/main"\n\n[tool.pyremedy.tag-todo]\nword = "soon"\nstyle = "loud"\nmax = 2\nskip = ["a.py"]\n`,
      F, FAKES,
    );
    expect(config).toEqual({
      file: F, select: ["tag-todo", "plain"], ignore: ["plain"], exclude: ["legacy/**", "*_pb2.py"], includeTests: true,
      branch: "bots/pyremedy", base: "origin/main", options: { "tag-todo": { word: "soon", style: "loud", max: 2, skip: ["a.py"] } },
    });
  });

  it("a pyproject.toml without [tool.pyremedy] (or not mentioning it, even broken) is not a configuration", () => {
    expect(parseConfig(`[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n`, F, FAKES)).toBeUndefined();
    expect(parseConfig(`[project\nname = `, F, FAKES)).toBeUndefined();
    expect(parseConfig(`# pyremedy is configured elsewhere\n[tool.black]\n`, F, FAKES)).toBeUndefined();
    expect(parseConfig(`[tool.pyremedy]\n`, F, FAKES)).toEqual({ file: F, options: {} });
  });

  it("names the unknown key and the file, with a suggestion", () => {
    const err = errorOf(() => parseConfig(`[tool.pyremedy]\ninclude_tests = true\n`, F, FAKES));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^\/p\/pyproject\.toml: unknown key 'include_tests' in \[tool\.pyremedy\] \(did you mean 'include-tests'\?\)/);
    expect(errorOf(() => parseConfig(`[tool.pyremedy]\nselct = []\n`, F, FAKES)).message).toContain("did you mean 'select'?");
    expect(errorOf(() => parseConfig(`[tool.pyremedy]\nfrobnicate = 1\n`, F, FAKES)).message).not.toContain("did you mean");
    const table = errorOf(() => parseConfig(`[tool.pyremedy.tag-todos]\nword = "x"\n`, F, FAKES)).message;
    expect(table).toContain("unknown key 'tag-todos'");
    expect(table).toContain("did you mean 'tag-todo'?");
    expect(table).toContain("[tool.pyremedy.tag-todo]");
  });

  it("names unknown options of a codemod, and codemods that have none", () => {
    expect(errorOf(() => parseConfig(`[tool.pyremedy.tag-todo]\nwords = "x"\n`, F, FAKES)).message).toBe(
      "/p/pyproject.toml: [tool.pyremedy.tag-todo]: unknown key 'words' (did you mean 'word'?) (known: word, style, max, skip, enabled)",
    );
    expect(errorOf(() => parseConfig(`[tool.pyremedy.plain]\nx = 1\n`, F, FAKES)).message).toBe(
      "/p/pyproject.toml: [tool.pyremedy.plain]: unknown key 'x' (plain has no options)",
    );
  });

  it("checks types and values", () => {
    const cases: [string, RegExp][] = [
      [`select = "tag-todo"`, /select must be a list of non-empty strings.*found a string/],
      [`select = ["tag-todo", "nope"]`, /select: unknown codemod 'nope' \(known: plain, tag-todo\)/],
      [`ignore = ["tag_todo"]`, /ignore: unknown codemod 'tag_todo' \(did you mean 'tag-todo'\?\)/],
      [`exclude = ["ok", ""]`, /exclude must be a list of non-empty strings/],
      [`include-tests = "yes"`, /include-tests must be true or false \(found a string\)/],
      [`branch = "has space"`, /branch must be a valid git branch name/],
      [`branch = "a..b"`, /branch must be a valid git branch name/],
      [`base = "--upload-pack=evil"`, /base must be a git revision/],
      [`tag-todo = 1`, /\[tool\.pyremedy\.tag-todo\] must be a table of options \(found a number\)/],
      [`tag-todo = { style = "quiet" }`, /style must be one of "plain", "loud" \(found "quiet"\)/],
      [`tag-todo = { max = 1.5 }`, /max must be an integer \(found a number\)/],
      [`tag-todo = { enabled = "no" }`, /enabled must be true or false/],
      [`tag-todo = { skip = "a.py" }`, /skip must be a list of non-empty strings/],
    ];
    for (const [line, want] of cases) {
      const err = errorOf(() => parseConfig(`[tool.pyremedy]\n${line}\n`, F, FAKES));
      expect(err, line).toBeInstanceOf(ConfigError);
      expect(err.message, line).toMatch(want);
      expect(err.message.startsWith(F), line).toBe(true);
    }
    expect(errorOf(() => parseConfig(`[tool]\npyremedy = 3\n`, F, FAKES)).message).toMatch(/\[tool\.pyremedy\] must be a table/);
  });

  it("reports broken TOML with file, line and column", () => {
    const err = errorOf(() => parseConfig(`[tool.pyremedy]\nselect = ["a"\nexclude = []\n`, F, FAKES));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^\/p\/pyproject\.toml:3:\d+: invalid TOML \(/);
  });

  it("knows what a branch name can be", () => {
    for (const ok of ["pyremedy/fixes", "fix-1", "a.b/c_d"]) expect(isPlausibleBranchName(ok), ok).toBe(true);
    for (const bad of ["", "-x", "a b", "a..b", "a/", "/a", "a.lock", "x/.hidden", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "@", "a@{1}", "a//b", "a."]) {
      expect(isPlausibleBranchName(bad), bad).toBe(false);
    }
  });
});

describe("documentation of options", () => {
  it("explain lists a codemod's options with types and defaults; list --json carries them", async () => {
    const text = explainCodemod(tagger);
    expect(text).toContain("## Options\nIn pyproject.toml, under `[tool.pyremedy.tag-todo]`:\n");
    expect(text).toContain('- `style` (string, default "plain") (one of "plain", "loud"): How\n');
    expect(text).toContain("- `skip` (string-list, default []): Files to leave alone\n");
    expect(explainCodemod(plain)).not.toContain("## Options");
    const listed = JSON.parse((await run(["list", "--json"])).stdout);
    for (const c of listed) expect(Array.isArray(c.options), c.id).toBe(true);
  });
});

describe("finding the configuration", () => {
  it("uses the nearest pyproject.toml that has [tool.pyremedy], walking up from the path", () => {
    const root = tmp();
    write(root, {
      "pyproject.toml": `[tool.pyremedy]\nselect = ["plain"]\n`,
      "libs/a/pyproject.toml": `[project]\nname = "a"\n`, // no [tool.pyremedy]: skipped, like ruff
      "libs/a/src/m.py": "x = 1\n",
      "libs/b/pyproject.toml": `[tool.pyremedy]\nselect = ["tag-todo"]\n`,
      "libs/b/src/m.py": "x = 1\n",
    });
    const finder = new ConfigFinder(FAKES);
    expect(finder.configFor(path.join(root, "libs/a/src"))?.file).toBe(path.join(root, "pyproject.toml"));
    expect(finder.configFor(path.join(root, "libs/a/src/m.py"))?.file).toBe(path.join(root, "pyproject.toml"));
    expect(finder.configFor(path.join(root, "libs/b/src/m.py"))?.select).toEqual(["tag-todo"]);
    expect(finder.configFor(path.join(root, "libs/b"))?.select).toEqual(["tag-todo"]);
    expect(finder.configFor(root)?.select).toEqual(["plain"]);
    expect(new ConfigFinder(FAKES).configFor(path.join(root, "does/not/exist.py"))?.file).toBe(path.join(root, "pyproject.toml"));
  });

  it("groups paths by configuration and shows each group", () => {
    const root = tmp();
    write(root, {
      "one/pyproject.toml": `[tool.pyremedy]\nignore = ["plain"]\n[tool.pyremedy.tag-todo]\nword = "one"\n`,
      "two/pyproject.toml": `[tool.pyremedy]\ninclude-tests = true\n`,
    });
    const groups = planRuns([path.join(root, "one"), path.join(root, "two"), path.join(root, "one/x.py")], {}, FAKES);
    expect(groups.map((g) => g.paths)).toEqual([[path.join(root, "one"), path.join(root, "one/x.py")], [path.join(root, "two")]]);
    const shown = JSON.parse(renderSettings(groups));
    expect(shown).toHaveLength(2);
    expect(shown[0]).toEqual({
      paths: [path.join(root, "one"), path.join(root, "one/x.py")], configFile: path.join(root, "one/pyproject.toml"),
      select: ["tag-todo"], exclude: [], includeTests: false,
      options: { "tag-todo": { word: "one", style: "plain", max: 10, skip: [], enabled: true } }, branch: null, base: null,
    });
    expect(shown[1]).toMatchObject({ select: ["plain", "tag-todo"], includeTests: true });
    expect(JSON.parse(renderSettings(groups.slice(1)))).toMatchObject({ configFile: path.join(root, "two/pyproject.toml") });
  });
});

describe("merging with the command line", () => {
  const config = { file: "/p/pyproject.toml", select: ["plain", "tag-todo"], ignore: ["plain"], includeTests: true, exclude: ["gen"], options: {} };

  it("layers selection like ruff: config select/ignore, then --select replaces, --ignore removes", () => {
    const ids = (flags: object): string[] => resolveSettings(config, flags, FAKES).codemods.map((c) => c.id);
    expect(ids({})).toEqual(["tag-todo"]);
    expect(ids({ select: ["plain"] })).toEqual(["plain"]); // --select wins over the configured ignore
    expect(ids({ ignore: ["tag-todo"] })).toEqual([]);
    expect(ids({ select: ["plain,tag-todo"], ignore: ["plain"] })).toEqual(["tag-todo"]);
    expect(resolveSettings(undefined, {}, FAKES).codemods.map((c) => c.id)).toEqual(["plain", "tag-todo"]);
    expect(() => resolveSettings(config, { select: ["nope"] }, FAKES)).toThrow(/--select: unknown codemod 'nope'/);
  });

  it("--include-tests / --no-include-tests replace the configured value; --exclude adds to it", () => {
    expect(resolveSettings(config, {}, FAKES).includeTests).toBe(true);
    expect(resolveSettings(config, { includeTests: false }, FAKES).includeTests).toBe(false);
    expect(resolveSettings({ ...config, includeTests: undefined }, { includeTests: true }, FAKES).includeTests).toBe(true);
    expect(resolveSettings(config, { exclude: ["*.gen.py"] }, FAKES).exclude).toEqual(["/p/**/gen", "*.gen.py"]);
  });

  it("fills every option of the selected codemods, configured or default", () => {
    const s = resolveSettings({ ...config, options: { "tag-todo": { word: "x" } } }, {}, FAKES);
    expect(s.codemodOptions).toEqual({ "tag-todo": { word: "x", style: "plain", max: 10, skip: [], enabled: true } });
    expect(resolveSettings(config, { select: ["plain"] }, FAKES).codemodOptions).toEqual({});
  });

  it("anchors configuration globs at the file's directory", () => {
    expect(anchorGlob("legacy", "/r")).toBe("/r/**/legacy");
    expect(anchorGlob("legacy/", "/r")).toBe("/r/**/legacy");
    expect(anchorGlob("*_pb2.py", "/r")).toBe("/r/**/*_pb2.py");
    expect(anchorGlob("src/gen/**", "/r")).toBe("/r/src/gen/**");
    expect(anchorGlob("./src/gen", "/r")).toBe("/r/src/gen");
    expect(anchorGlob("/top.py", "/r")).toBe("/r/top.py");
    const odd = anchorGlob("gen", "/w/a (b)[c]{d}*");
    expect(picomatch(odd, { dot: true })("/w/a (b)[c]{d}*/x/gen")).toBe(true);
    expect(picomatch(odd, { dot: true })("/w/a b/x/gen")).toBe(false);
  });
});

describe("configuration in a run", () => {
  it("excludes configured paths (walked or named, as pre-commit names them) and nothing outside the file's directory", () => {
    const root = tmp();
    write(root, {
      "proj/pyproject.toml": `[tool.pyremedy]\nexclude = ["legacy", "src/gen/**"]\n`,
      "proj/src/app.py": "# TODO\n",
      "proj/src/legacy/old.py": "# TODO\n",
      "proj/src/gen/out.py": "# TODO\n",
      "proj/gen/top.py": "# TODO\n",
      "legacy/outside.py": "# TODO\n",
    });
    const proj = path.join(root, "proj");
    fs.mkdirSync(path.join(proj, ".git")); // named files are reported relative to their repository
    const [group] = planRuns([proj], {}, FAKES);
    const walked = discover([proj], { exclude: group!.settings.exclude }).targets.map((t) => t.relPath);
    expect(walked).toEqual(["gen/top.py", "src/app.py"]);
    const named = ["src/app.py", "src/legacy/old.py", "src/gen/out.py"].map((f) => path.join(proj, f));
    const d = discover(named, { exclude: group!.settings.exclude });
    expect(d.targets.map((t) => t.absPath)).toEqual([path.join(proj, "src/app.py")]);
    expect(d.problems.map((p) => [p.relPath, p.reason])).toEqual([
      ["src/legacy/old.py", "excluded (exclude pattern)"],
      ["src/gen/out.py", "excluded (exclude pattern)"],
    ]);
    // The same globs, anchored at proj/, leave a sibling tree alone.
    expect(discover([path.join(root, "legacy")], { exclude: group!.settings.exclude }).targets).toHaveLength(1);
  });

  it("options reach the codemod through ProjectContext.options", async () => {
    const root = tmp();
    write(root, {
      "pyproject.toml": `[tool.pyremedy.tag-todo]\nword = "soon"\nstyle = "loud"\nmax = 1\nskip = ["b.py"]\n`,
      "a.py": "# TODO\n# TODO\n",
      "b.py": "# TODO\n",
    });
    const [group] = planRuns([root], {}, FAKES);
    const report = await runFix({ paths: [root], codemods: group!.settings.codemods, codemodOptions: group!.settings.codemodOptions, includeTests: group!.settings.includeTests, exclude: group!.settings.exclude, jobs: 1 });
    const a = report.files.find((f) => f.path === "a.py")!;
    expect(a.status, a.reason).toBe("changed");
    expect(a.diff).toContain("+# TODO SOON\n+# TODO SOON\n");
    expect(a.changes).toHaveLength(2);
    expect(report.files.find((f) => f.path === "b.py")!.status).toBe("unchanged");
  });
});

describe("pyremedy fix with a pyproject.toml", () => {
  const source = 'import requests\nrequests.get("https://x", verify=False)\n';

  function project(pyproject: string): string {
    const root = tmp();
    write(root, { "pyproject.toml": pyproject, "svc/app.py": source, "svc/vendor/lib.py": source });
    return root;
  }

  it("--show-config prints the effective configuration; flags win", async () => {
    const root = project(`[project]\nname = "svc"\n\n[tool.pyremedy]\nignore = ["verify-ssl"]\nexclude = ["vendor"]\ninclude-tests = true\nbranch = "bots/fixes"\n`);
    const r = await run(["fix", "--show-config", "svc"], root);
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown).toMatchObject({
      paths: ["svc"], configFile: path.join(root, "pyproject.toml"),
      exclude: [`${root}/**/vendor`], includeTests: true, branch: "bots/fixes", base: null,
    });
    expect(shown.select).not.toContain("verify-ssl");
    const flags = JSON.parse((await run(["fix", "--show-config", "--select", "verify-ssl", "--no-include-tests", "--exclude", "*_pb2.py", "svc"], root)).stdout);
    expect(flags).toMatchObject({ select: ["verify-ssl"], includeTests: false, exclude: [`${root}/**/vendor`, "*_pb2.py"] });
  });

  it("runs with the configuration: selection and exclude", async () => {
    const root = project(`[tool.pyremedy]\nexclude = ["vendor"]\nignore = ["verify-ssl"]\n`);
    expect((await run(["fix", "svc"], root)).code).toBe(0); // verify-ssl ignored by the configuration
    const r = await run(["fix", "--select", "verify-ssl", "--format", "json", "svc"], root);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.files.filter((f: { status: string }) => f.status === "changed").map((f: { path: string }) => f.path)).toEqual(["app.py"]);
  });

  it("an unknown key is a usage error (exit 2) naming the key and the file", async () => {
    const root = project(`[tool.pyremedy]\nselect = ["verify-ssl"]\nexlude = ["vendor"]\n`);
    const r = await run(["fix", "svc"], root);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${path.join(root, "pyproject.toml")}: unknown key 'exlude' in [tool.pyremedy] (did you mean 'exclude'?)`);
    expect(fs.readFileSync(path.join(root, "svc/app.py"), "utf8")).toBe(source);
  });

  it("other usage errors exit 2 as well", async () => {
    expect((await run(["fix", "--select", "nope", "."])).code).toBe(2);
    expect((await run(["fix", "--no-such-flag"])).code).toBe(2);
  });
});
