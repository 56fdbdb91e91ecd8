/**
 * The built-in codemods' options end to end: declared on the codemod, validated in
 * `[tool.pyremedy.<id>]`, shown by --show-config / explain / the README, passed to produce()
 * (also on worker threads) and to the repository step: narrow-except `infer`, secrets-to-env
 * `env-file` and `history` (with `fix --history/--no-history`).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codemodById } from "../codemods/index.js";
import { narrowExcept } from "../codemods/narrow-except.js";
import { secretsToEnv } from "../codemods/secrets-to-env.js";
import { ConfigError, parseConfig, resolveSettings } from "../src/config.js";
import { explainCodemod } from "../src/docs.js";
import { runFix } from "../src/engine/run.js";
import { checkEnvFile, envExampleOf, secretsSettings } from "../src/secrets/options.js";
import { dotenvMap } from "../src/secrets/dotenv.js";
import { fixtureCases, fixtureContext, ROOT, runOn, setup } from "./helpers.js";
import { runCli, type CliRun } from "./run-cli.js";

beforeAll(setup);

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-options-")));
  temps.push(dir);
  return dir;
}

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

function read(root: string, rel: string): string {
  return fs.readFileSync(path.join(root, rel), "utf8");
}

const cli = (args: string[], cwd?: string): Promise<CliRun> => runCli(args, { cwd });

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });
}

function configError(toml: string): string {
  try {
    parseConfig(toml, "/p/pyproject.toml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${toml}`);
}

// Name-based credentials (no provider shape), still assembled at run time.
const PW = ["Db", "Pa55", "opt", "2024"].join("-");
const OTHER_PW = ["Mail", "Pa55", "opt", "2025"].join("-");

describe("declared options are validated in pyproject.toml", () => {
  it("knows each built-in option, its type and its rule", () => {
    const ok = parseConfig(
      `[tool.pyremedy.narrow-except]\ninfer = false\n[tool.pyremedy.secrets-to-env]\nenv-file = "config/.env.local"\nhistory = false\n`,
      "/p/pyproject.toml",
    );
    expect(ok?.options).toEqual({ "narrow-except": { infer: false }, "secrets-to-env": { "env-file": "config/.env.local", history: false } });
    expect(configError(`[tool.pyremedy.narrow-except]\ninfer = "no"\n`)).toBe('/p/pyproject.toml: [tool.pyremedy.narrow-except] infer must be true or false (found a string)');
    expect(configError(`[tool.pyremedy.narrow-except]\ninfr = false\n`)).toBe("/p/pyproject.toml: [tool.pyremedy.narrow-except]: unknown key 'infr' (did you mean 'infer'?) (known: infer)");
    expect(configError(`[tool.pyremedy.secrets-to-env]\nhistory = "off"\n`)).toMatch(/\[tool\.pyremedy\.secrets-to-env\] history must be true or false \(found a string\)$/);
    expect(configError(`[tool.pyremedy.secrets-to-env]\nenv_file = ".env.local"\n`)).toMatch(/unknown key 'env_file' \(did you mean 'env-file'\?\) \(known: env-file, history\)$/);
    expect(configError(`[tool.pyremedy.verify-ssl]\nstrict = true\n`)).toMatch(/unknown key 'strict' \(verify-ssl has no options\)$/);
    for (const bad of ["../.env", "/etc/.env", "secrets.txt", "config/", "./.env", "a//.env", ".git/.env", "C:/.env", "x\\.env"]) {
      expect(configError(`[tool.pyremedy.secrets-to-env]\nenv-file = ${JSON.stringify(bad)}\n`), bad).toBe(
        `/p/pyproject.toml: [tool.pyremedy.secrets-to-env] env-file must be a path below the project root whose file name is .env or .env.<name>, such as ".env.local" or "config/.env" (found ${JSON.stringify(bad)})`,
      );
    }
    expect(configError(`[tool.pyremedy.secrets-to-env]\nenv-file = ".env.example"\n`)).toMatch(/\(templates such as \.env\.example hold no values\) \(found "\.env\.example"\)$/);
    expect(checkEnvFile(".env.production")).toBeUndefined();
    expect(envExampleOf(".env.local")).toBe(".env.example");
    expect(envExampleOf("deploy/config/.env")).toBe("deploy/config/.env.example");
  });

  it("fills defaults; a flag's option wins over the file's, an absent flag leaves it alone", () => {
    const config = parseConfig(`[tool.pyremedy.secrets-to-env]\nhistory = false\n`, "/p/pyproject.toml");
    expect(resolveSettings(config, {}).codemodOptions).toEqual({ "narrow-except": { infer: true }, "secrets-to-env": { "env-file": ".env", history: false } });
    expect(resolveSettings(config, { options: { "secrets-to-env": { history: undefined } } }).codemodOptions["secrets-to-env"]).toEqual({ "env-file": ".env", history: false });
    expect(resolveSettings(config, { options: { "secrets-to-env": { history: true } } }).codemodOptions["secrets-to-env"]).toEqual({ "env-file": ".env", history: true });
    expect(resolveSettings(undefined, { select: ["verify-ssl"] }).codemodOptions).toEqual({});
    expect(secretsSettings(undefined)).toEqual({ envFile: ".env", history: true });
  });
});

describe("options are documented", () => {
  it("explain lists them; the README's generated section too; --show-config shows the values in effect", async () => {
    expect(explainCodemod(narrowExcept)).toContain("## Options\nIn pyproject.toml, under `[tool.pyremedy.narrow-except]`:\n- `infer` (boolean, default true): ");
    const secrets = (await cli(["explain", "secrets-to-env"])).stdout;
    expect(secrets).toContain('- `env-file` (string, default ".env"): Where `--write` puts the values');
    expect(secrets).toContain("- `history` (boolean, default true): Look every moved value up in the git history");
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("  - `[tool.pyremedy.narrow-except]` `infer` (boolean, default `true`): ");
    expect(readme).toContain('  - `[tool.pyremedy.secrets-to-env]` `env-file` (string, default `".env"`): ');
    // The configuration example in the README is valid as written.
    const example = /## Configuration[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(parseConfig(example, "README.md")?.options).toEqual({ "narrow-except": { infer: false }, "secrets-to-env": { "env-file": ".env.local", history: false } });

    const root = tmp();
    write(root, { "pyproject.toml": `[tool.pyremedy.secrets-to-env]\nenv-file = ".env.local"\nhistory = false\n`, "app.py": "x = 1\n" });
    const shown = JSON.parse((await cli(["fix", "--show-config", root])).stdout);
    expect(shown.options).toEqual({ "narrow-except": { infer: true }, "secrets-to-env": { "env-file": ".env.local", history: false } });
    const flipped = JSON.parse((await cli(["fix", "--show-config", "--history", root])).stdout);
    expect(flipped.options["secrets-to-env"]).toEqual({ "env-file": ".env.local", history: true });
    const off = JSON.parse((await cli(["fix", "--show-config", "--no-history", path.join(tmp())])).stdout);
    expect(off.options["secrets-to-env"]).toEqual({ "env-file": ".env", history: false });
  });
});

describe("narrow-except infer", () => {
  it("the infer-off fixture depends on the option: with the default it is narrowed to the inferred types", () => {
    const k = fixtureCases().find((c) => c.codemod === "narrow-except" && c.name === "infer-off/config")!;
    expect(k.options?.["narrow-except"]).toEqual({ infer: false });
    const input = fs.readFileSync(k.input);
    const inferred = runOn(input, [narrowExcept], k.relPath, fixtureContext(k, {})).after!;
    expect(inferred).toContain("except ImportError:\n    yaml = None");
    expect(inferred).toContain("except (OSError, ValueError):");
    const generic = runOn(input, [narrowExcept], k.relPath, fixtureContext(k)).after!;
    expect(generic).not.toMatch(/except \(|except ImportError/);
    expect(generic).toBe(fs.readFileSync(k.output!, "utf8"));
  });

  it("reaches the codemod on worker threads through the configuration", async () => {
    const root = tmp();
    const body = (i: number): string => `def parse_${i}(text):\n    try:\n        return int(text)\n    except:\n        return None\n`;
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`pkg/m${i}.py`, body(i)]));
    write(root, { "pyproject.toml": `[tool.pyremedy]\nselect = ["narrow-except"]\n[tool.pyremedy.narrow-except]\ninfer = false\n`, ...files });
    const r = await cli(["fix", "--write", "--jobs", "2", "--quiet", root]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (let i = 0; i < 6; i++) {
      expect(read(root, `pkg/m${i}.py`)).toContain(`    except Exception:\n        logger.exception("parse_${i} failed")\n`);
    }
    const again = tmp();
    write(again, { "pkg/m0.py": body(0) });
    await cli(["fix", "--write", "--jobs", "2", "--quiet", "--select", "narrow-except", again]);
    expect(read(again, "pkg/m0.py")).toContain("    except (ValueError, TypeError):\n");
  });
});

describe("secrets-to-env env-file", () => {
  it("puts values in the configured file, .env.example beside it, and git-ignores it; .env is neither read nor written", async () => {
    const root = tmp();
    git(root, "init", "-q");
    write(root, {
      "pyproject.toml": `[tool.pyremedy]\nselect = ["secrets-to-env"]\n[tool.pyremedy.secrets-to-env]\nenv-file = ".env.local"\nhistory = false\n`,
      "app/db.py": `import os\n\nDB_PASSWORD = "${PW}"\n`,
      "app/mail.py": `import os\n\nSMTP_PASSWORD = "${OTHER_PW}"\n`,
      // The configured file already holds the mail password under another name: that name is reused.
      ".env.local": `MAILER_SECRET=${OTHER_PW}\n`,
      // The default file is not the configured one: its entry is no reason to rename.
      ".env": `DB_PASSWORD=something-else-entirely\n`,
    });
    const preview = await cli(["fix", "--format", "json", root]);
    expect(preview.code).toBe(1);
    const report = JSON.parse(preview.stdout);
    expect(report.env.map((e: { name: string; dotenv: string; dotenvFile: string }) => [e.name, e.dotenv, e.dotenvFile])).toEqual([
      ["DB_PASSWORD", "new", ".env.local"],
      ["MAILER_SECRET", "present", ".env.local"],
    ]);
    const text = (await cli(["fix", "--no-history", root])).stdout;
    expect(text).toContain("Environment variables to set (values are never printed; --write puts them in .env.local):\n");
    expect(text).toContain(`  DB_PASSWORD: app/db.py [not in .env.local yet]\n`);
    expect(text).toContain(`  MAILER_SECRET: app/mail.py [already in .env.local]\n`);
    const notes = report.files.flatMap((f: { changes: { note?: string }[] }) => f.changes.map((c) => c.note ?? ""));
    expect(notes[0]).toContain('the git-ignored .env.local: load it with python-dotenv\'s load_dotenv(".env.local"), `set -a; . ./.env.local; set +a`');

    const r = await cli(["fix", "--write", "--quiet", root]);
    expect(r.code, r.stdout).toBe(0);
    expect(read(root, "app/db.py")).toBe('import os\n\nDB_PASSWORD = os.environ["DB_PASSWORD"]\n');
    expect(read(root, "app/mail.py")).toBe('import os\n\nSMTP_PASSWORD = os.environ["MAILER_SECRET"]\n');
    expect(Object.fromEntries(dotenvMap(read(root, ".env.local")))).toEqual({ MAILER_SECRET: OTHER_PW, DB_PASSWORD: PW });
    expect(read(root, ".env")).toBe("DB_PASSWORD=something-else-entirely\n");
    expect(read(root, ".env.example")).toContain("\nMAILER_SECRET=\n");
    expect(read(root, ".env.example")).toContain("\nDB_PASSWORD=\n");
    expect(read(root, ".gitignore")).toBe("# Local secrets (pyremedy secrets-to-env)\n.env.local\n");
    expect(git(root, "check-ignore", ".env.local").trim()).toBe(".env.local");
  });

  it("a nested env file: its directory is created, .env.example goes beside it, and git ignores exactly it", async () => {
    const root = tmp();
    git(root, "init", "-q");
    write(root, { "settings.py": `import os\n\nAPI_TOKEN = "${PW}"\n`, "deploy/keep.txt": "" });
    const config = resolveSettings(parseConfig(`[tool.pyremedy.secrets-to-env]\nenv-file = "deploy/local/.env"\n`, path.join(root, "pyproject.toml")), {});
    const report = await runFix({ paths: [root], codemods: [secretsToEnv], codemodOptions: config.codemodOptions, write: true, jobs: 1 });
    expect(report.files.filter((f) => f.status === "failed")).toEqual([]);
    expect(fs.statSync(path.join(root, "deploy/local/.env")).mode & 0o777).toBe(0o600);
    expect(dotenvMap(read(root, "deploy/local/.env")).get("API_TOKEN")).toBe(PW);
    expect(read(root, "deploy/local/.env.example")).toBe("# settings.py: moved out of the code by pyremedy secrets-to-env\nAPI_TOKEN=\n");
    expect(fs.existsSync(path.join(root, ".env"))).toBe(false);
    expect(fs.existsSync(path.join(root, ".env.example"))).toBe(false);
    expect(read(root, ".gitignore")).toBe("# Local secrets (pyremedy secrets-to-env)\ndeploy/local/.env\n");
    expect(git(root, "status", "--porcelain", "--untracked-files=all").split("\n").filter(Boolean).sort()).toEqual(
      ["?? .gitignore", "?? deploy/keep.txt", "?? deploy/local/.env.example", "?? settings.py"],
    );
  });

  it("refuses to follow a symlinked directory out of the project", async () => {
    const root = tmp();
    const elsewhere = tmp();
    write(root, { "settings.py": `import os\n\nAPI_TOKEN = "${PW}"\n` });
    fs.symlinkSync(elsewhere, path.join(root, "deploy"));
    const report = await runFix({ paths: [root], codemods: [secretsToEnv], codemodOptions: { "secrets-to-env": { "env-file": "deploy/.env", history: false } }, write: true, jobs: 1 });
    expect(report.files.find((f) => f.path === "deploy/.env")).toMatchObject({ status: "failed", reason: "deploy leads outside the project; not written" });
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    // The value never left the code: .env does not hold it.
    expect(read(root, "settings.py")).toContain(PW);
  });
});

describe("secrets-to-env history", () => {
  /** A repository whose history holds the value, and a git that logs its arguments. */
  function committedRepo(): { root: string; sha: string; argv: () => string; env: NodeJS.ProcessEnv } {
    const root = tmp();
    write(root, { "app.py": `import os\n\nDB_PASSWORD = "${PW}"\n` });
    git(root, "init", "-q");
    git(root, "add", "app.py");
    git(root, "commit", "-qm", "settings");
    const bin = tmp();
    const log = path.join(bin, "argv.log");
    const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(bin, "git"), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    return {
      root,
      sha: git(root, "rev-parse", "HEAD").trim().slice(0, 12),
      argv: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : ""),
      env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` },
    };
  }

  async function withPath<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
    const before = process.env.PATH;
    process.env.PATH = env.PATH;
    try {
      return await fn();
    } finally {
      process.env.PATH = before;
    }
  }

  it("is checked by default, in preview too", async () => {
    const repo = committedRepo();
    const r = await withPath(repo.env, () => cli(["fix", "--select", "secrets-to-env", "--format", "json", repo.root]));
    const env = JSON.parse(r.stdout).env;
    expect(env).toEqual([{ name: "DB_PASSWORD", files: ["app.py"], dotenv: "new", history: { commit: repo.sha, commits: 1 } }]);
    expect(repo.argv()).toContain("log\n-p\n--all");
    const text = await withPath(repo.env, () => cli(["fix", "--select", "secrets-to-env", repo.root]));
    expect(text.stdout).toContain(`in the git history (commit ${repo.sha}): rotate it`);
  });

  it("--no-history skips the scan (git log never runs) and the report says the history was not checked", async () => {
    const repo = committedRepo();
    const r = await withPath(repo.env, () => cli(["fix", "--select", "secrets-to-env", "--no-history", "--format", "json", repo.root]));
    expect(JSON.parse(r.stdout).env).toEqual([{ name: "DB_PASSWORD", files: ["app.py"], dotenv: "new", historyScan: "off" }]);
    expect(repo.argv()).not.toMatch(/^log$/m);
    const text = await withPath(repo.env, () => cli(["fix", "--select", "secrets-to-env", "--no-history", repo.root]));
    expect(text.stdout).toContain("git history not checked (history = false / --no-history): if this value was ever committed, rotate it");
    expect(text.stdout).not.toContain("in the git history (commit");
  });

  it("pyremedy branch never scans: its pull request says the values are in the history (they are in its base)", async () => {
    const repo = committedRepo();
    const r = await withPath(repo.env, () => cli(["branch", "--select", "secrets-to-env", "--format", "json", repo.root]));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).repos[0]).toMatchObject({ status: "created", byCodemod: { "secrets-to-env": 1 } });
    expect(repo.argv()).toContain("worktree");
    expect(repo.argv()).not.toContain("log\n-p\n--all");
  });

  it("history = false in the configuration does the same; --history turns it back on", async () => {
    const repo = committedRepo();
    write(repo.root, { "pyproject.toml": `[tool.pyremedy.secrets-to-env]\nhistory = false\n` });
    const off = await withPath(repo.env, () => cli(["fix", "--select", "secrets-to-env", "--format", "json", repo.root]));
    expect(JSON.parse(off.stdout).env[0]).toMatchObject({ name: "DB_PASSWORD", historyScan: "off" });
    expect(JSON.parse(off.stdout).env[0].history).toBeUndefined();
    expect(repo.argv()).not.toMatch(/^log$/m);
    const on = await withPath(repo.env, () => cli(["fix", "--select", "secrets-to-env", "--history", "--format", "json", repo.root]));
    expect(JSON.parse(on.stdout).env[0]).toEqual({ name: "DB_PASSWORD", files: ["app.py"], dotenv: "new", history: { commit: repo.sha, commits: 1 } });
  });

  it("a scan that stopped early says so instead of claiming the value is not in the history", async () => {
    const { settleEnvFiles, envStatus } = await import("../src/engine/env-files.js");
    const repo = committedRepo();
    // A git whose `log` takes 5 s: the scan's 100 ms limit is sure to stop it (a 0 ms limit raced a fast git).
    const slow = tmp();
    const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(slow, "git"), `#!/bin/sh\nfor a in "$@"; do [ "$a" = log ] && sleep 5; done\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const outcome = await withPath({ PATH: `${slow}${path.delimiter}${process.env.PATH}` }, () =>
      settleEnvFiles(repo.root, [{ relPath: "app.py", entry: { name: "DB_PASSWORD", value: PW } }], { write: false, historyTimeoutMs: 100 }));
    expect(outcome.history).toBe("incomplete");
    expect(envStatus(outcome, "DB_PASSWORD")).toEqual({ dotenv: "new", historyScan: "incomplete" });
    const outside = await settleEnvFiles(tmp(), [{ relPath: "app.py", entry: { name: "DB_PASSWORD", value: PW } }], { write: false });
    expect(outside.history).toBe("none");
    expect(envStatus(outside, "DB_PASSWORD")).toEqual({ dotenv: "new" });
  });
});

describe("the registry declares what the docs say", () => {
  it("narrow-except and secrets-to-env declare options; the others none", () => {
    expect(codemodById("narrow-except")!.options?.map((o) => o.name)).toEqual(["infer"]);
    expect(codemodById("secrets-to-env")!.options?.map((o) => o.name)).toEqual(["env-file", "history"]);
    expect(codemodById("verify-ssl")!.options ?? []).toEqual([]);
    expect(codemodById("init-exports")!.options ?? []).toEqual([]);
  });
});
