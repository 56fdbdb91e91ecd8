/**
 * action.yml: its structure checked against what GitHub's composite-action runner accepts, and
 * its steps run as the runner runs them (bash --noprofile --norc -eo pipefail, env from the
 * step's `env:`, outputs through $GITHUB_OUTPUT, `if:` conditions), with a fake `npx` that
 * records what pyremedy would have been asked and answers with a chosen exit code.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./helpers.js";

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  shell?: string;
  env?: Record<string, string>;
  run?: string;
  [key: string]: unknown;
}

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
  [key: string]: unknown;
}

const text = fs.readFileSync(path.join(ROOT, "action.yml"), "utf8");
const action: Action = parse(text);
const steps = action.runs.steps;
const pkgVersion: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

const EXPR = /\$\{\{\s*(.*?)\s*\}\}/g;

/** Every expression context reference (`inputs.x`, `steps.a.outputs.b`, `github.token`) in a string. */
function references(s: string): string[] {
  return [...s.matchAll(/\b(inputs\.[\w-]+|steps\.[\w-]+\.outputs\.[\w-]+|github\.[\w-]+)/g)].map((m) => m[1]!);
}

/** The expressions of a value: each `${{ }}` of its strings, and `if:` conditions (expressions without the braces). */
function expressions(value: unknown, key = ""): string[] {
  if (typeof value === "string") return key === "if" ? [value] : [...value.matchAll(EXPR)].map((m) => m[1]!);
  if (Array.isArray(value)) return value.flatMap((v) => expressions(v));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => expressions(v, k));
  return [];
}

describe("action.yml structure", () => {
  it("is a composite action with described inputs and outputs", () => {
    expect(Object.keys(action).sort()).toEqual(["author", "branding", "description", "inputs", "name", "outputs", "runs"]);
    expect(action.runs.using).toBe("composite");
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(Object.keys(input).every((k) => ["description", "required", "default", "deprecationMessage"].includes(k)), name).toBe(true);
    }
    for (const [name, output] of Object.entries(action.outputs)) {
      expect(output.description, name).toBeTruthy();
      expect(output.value, name).toMatch(/^\$\{\{ steps\.[\w-]+\.outputs\.[\w-]+ \}\}$/);
    }
  });

  it("steps are well formed: run steps name a shell, uses steps are pinned to a major version, ids are unique", () => {
    const ids = steps.map((s) => s.id).filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of steps) {
      const keys = Object.keys(s);
      expect(keys.every((k) => ["name", "id", "if", "uses", "with", "shell", "env", "run", "working-directory", "continue-on-error"].includes(k)), s.name).toBe(true);
      expect(!!s.run !== !!s.uses, `${s.name}: exactly one of run/uses`).toBe(true);
      if (s.run) expect(s.shell, s.name).toBe("bash");
      if (s.uses) expect(s.uses, s.name).toMatch(/^[\w-]+\/[\w./-]+@v\d+$/);
    }
    expect(steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toEqual({ "node-version": "${{ inputs.node-version }}" });
    expect(steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"))?.with).toMatchObject({ sarif_file: "${{ inputs.sarif-file }}" });
  });

  it("every reference resolves: declared inputs, earlier steps' outputs that they write; every input is used", () => {
    const used = new Set<string>();
    steps.forEach((s, i) => {
      for (const ref of expressions(s).flatMap(references)) {
        const [ctx, name, , output] = ref.split(".");
        if (ctx === "inputs") {
          expect(action.inputs, `${s.name}: ${ref}`).toHaveProperty([name!]);
          used.add(name!);
        } else if (ctx === "steps") {
          const j = steps.findIndex((t) => t.id === name);
          expect(j, `${s.name}: ${ref}`).toBeGreaterThanOrEqual(0);
          expect(j, `${s.name}: ${ref} comes from a later step`).toBeLessThan(i);
          expect(steps[j]!.run, `${ref} is never written`).toContain(`${output}=`);
        } else {
          expect(["github.token"], ref).toContain(ref);
        }
      }
    });
    for (const o of Object.values(action.outputs)) {
      const [, id, , output] = references(o.value)[0]!.split(".");
      expect(steps.find((s) => s.id === id)?.run).toContain(`${output}=`);
    }
    for (const input of Object.values(action.inputs)) for (const ref of references(input.default ?? "")) expect(ref).toBe("github.token");
    expect([...used].sort()).toEqual(Object.keys(action.inputs).sort());
  });

  it("never splices an expression into a script (inputs go through env)", () => {
    for (const s of steps) if (s.run) expect(s.run, s.name).not.toMatch(/\$\{\{/);
  });

  it("runs `npx pyremedy fix --format sarif --output` and `branch --push --pr`", () => {
    expect(text).toContain('npx --yes "$PACKAGE" fix --format sarif --output "$SARIF_FILE"');
    expect(text).toContain('npx --yes "$PACKAGE" branch --push --pr');
  });
});

/** A value of the expression language: inputs, step outputs, github.token. */
interface Contexts {
  inputs: Record<string, string>;
  outputs: Record<string, Record<string, string>>;
}

function lookup(ref: string, c: Contexts): string {
  const [ctx, name, , output] = ref.split(".");
  if (ctx === "inputs") return c.inputs[name!] ?? "";
  if (ctx === "steps") return c.outputs[name!]?.[output!] ?? "";
  if (ref === "github.token") return "ghs_test_token";
  throw new Error(`unsupported reference ${ref}`);
}

function interpolate(s: string, c: Contexts): string {
  return s.replace(EXPR, (_, ref: string) => lookup(ref.trim(), c));
}

/** `a == 'x' && b != 'y'`: the only condition grammar the action uses (checked below). */
const TERM = /^([\w.-]+) (==|!=) '([^']*)'$/;

function condition(expr: string, c: Contexts): boolean {
  return expr.split("&&").every((term) => {
    const m = TERM.exec(term.trim());
    if (!m) throw new Error(`unsupported condition term: ${term}`);
    return (lookup(m[1]!, c) === m[3]) === (m[2] === "==");
  });
}

interface Simulation {
  /** Names of the steps that ran, with their exit codes. */
  readonly ran: { name: string; code: number }[];
  readonly failed: boolean;
  /** Each npx invocation's arguments. */
  readonly npx: string[][];
  /** The `with:` of each `uses:` step that ran. */
  readonly uses: { uses: string; with: Record<string, string> }[];
  readonly outputs: Record<string, string>;
  readonly log: string;
  readonly home: string;
}

/** Run the action like the runner: steps in order, stop at the first failure. */
function simulate(given: Record<string, string>, fake: { code: number; writeSarif?: boolean }): Simulation {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-action-"));
  const bin = path.join(work, "bin");
  const home = path.join(work, "home");
  const workspace = path.join(work, "workspace");
  for (const d of [bin, home, workspace]) fs.mkdirSync(d);
  execFileSync("git", ["init", "-q", workspace]);
  const npxLog = path.join(work, "npx.jsonl");
  const fakeNpx = path.join(work, "fake-npx.cjs");
  fs.writeFileSync(path.join(bin, "npx"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(fakeNpx)} "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(
    fakeNpx,
    `const fs = require("fs");\nconst args = process.argv.slice(2);\n` +
      `fs.appendFileSync(${JSON.stringify(npxLog)}, JSON.stringify(args) + "\\n");\n` +
      `const out = args.indexOf("--output");\n` +
      `if (out >= 0 && ${fake.writeSarif !== false}) fs.writeFileSync(args[out + 1], '{"version":"2.1.0","runs":[]}');\n` +
      `process.exit(${fake.code});\n`,
  );
  const inputs: Record<string, string> = {};
  const c: Contexts = { inputs, outputs: {} };
  for (const [name, input] of Object.entries(action.inputs)) inputs[name] = given[name] ?? interpolate(input.default ?? "", c);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GITHUB_") && !k.startsWith("GIT_")) env[k] = v;
  Object.assign(env, { PATH: `${bin}:${process.env.PATH}`, HOME: home, GITHUB_ACTION_PATH: ROOT, GITHUB_WORKSPACE: workspace, GIT_CONFIG_NOSYSTEM: "1" });

  const ran: Simulation["ran"] = [];
  const uses: Simulation["uses"] = [];
  let log = "";
  let failed = false;
  for (const [i, step] of steps.entries()) {
    if (failed || (step.if && !condition(step.if, c))) continue;
    const name = step.name ?? `step ${i}`;
    if (step.uses) {
      uses.push({ uses: step.uses, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(v, c)])) });
      ran.push({ name, code: 0 });
      continue;
    }
    const outFile = path.join(work, `output-${i}`);
    fs.writeFileSync(outFile, "");
    const script = path.join(work, `step-${i}.sh`);
    fs.writeFileSync(script, step.run!);
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(v, c)]));
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd: workspace, env: { ...env, ...stepEnv, GITHUB_OUTPUT: outFile }, encoding: "utf8" });
    log += r.stdout + r.stderr;
    if (step.id) {
      c.outputs[step.id] = Object.fromEntries(
        fs.readFileSync(outFile, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
    }
    ran.push({ name, code: r.status ?? -1 });
    if (r.status !== 0) failed = true;
  }
  const npx = fs.existsSync(npxLog) ? fs.readFileSync(npxLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]) : [];
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, interpolate(o.value, c)]));
  return { ran, failed, npx, uses, outputs, log, home };
}

const stepNames = (s: Simulation): string[] => s.ran.map((r) => r.name);

describe("action.yml, run as the runner runs it", () => {
  it("only uses conditions the simulation understands", () => {
    for (const s of steps) if (s.if) for (const term of s.if.split("&&")) expect(term.trim(), s.if).toMatch(TERM);
  });

  it("by default: pyremedy fix writes SARIF, it is uploaded, and pending fixes do not fail the job", () => {
    const s = simulate({}, { code: 1 });
    expect(s.npx).toEqual([["--yes", `pyremedy@${pkgVersion}`, "fix", "--format", "sarif", "--output", "pyremedy.sarif", "--", "."]]);
    expect(s.uses).toEqual([
      { uses: "actions/setup-node@v4", with: { "node-version": "20" } },
      { uses: "github/codeql-action/upload-sarif@v3", with: { sarif_file: "pyremedy.sarif", category: "pyremedy" } },
    ]);
    expect(s.failed).toBe(false);
    expect(s.log).toContain("::notice::pyremedy has fixes to apply");
    expect(s.outputs).toEqual({ "exit-code": "1", "sarif-file": "pyremedy.sarif" });
    expect(stepNames(s)).not.toContain("Open a fix-branch pull request");
  });

  it("fail-on-changes fails the job after the upload; nothing to fix passes", () => {
    const strict = simulate({ "fail-on-changes": "true" }, { code: 1 });
    expect(strict.failed).toBe(true);
    expect(strict.uses.map((u) => u.uses)).toContain("github/codeql-action/upload-sarif@v3");
    expect(strict.ran.at(-1)).toEqual({ name: "Check the result", code: 1 });
    const clean = simulate({ "fail-on-changes": "true" }, { code: 0 });
    expect(clean.failed).toBe(false);
    expect(clean.outputs["exit-code"]).toBe("0");
  });

  it("a usage error or a failed file fails the job; the partial report is still uploaded when written", () => {
    const partial = simulate({}, { code: 2 });
    expect(partial.failed).toBe(true);
    expect(partial.uses.map((u) => u.uses)).toContain("github/codeql-action/upload-sarif@v3");
    expect(partial.ran.at(-1)).toEqual({ name: "Check the result", code: 2 });
    const none = simulate({}, { code: 2, writeSarif: false });
    expect(none.failed).toBe(true);
    expect(none.uses.map((u) => u.uses)).not.toContain("github/codeql-action/upload-sarif@v3");
    // exit 1 without a report is npx failing, not a finding
    const broken = simulate({}, { code: 1, writeSarif: false });
    expect(broken.failed).toBe(true);
    expect(broken.log).toContain("::error::pyremedy exited with 1, without a report");
  });

  it("passes paths and args as words, never as globs or shell code", () => {
    const s = simulate({ path: "src  lib/*.py\nservices/$(id)", args: "--select verify-ssl --exclude 'gen'", "sarif-file": "out/x.sarif", version: "1.2.3" }, { code: 0 });
    expect(s.npx).toEqual([["--yes", "pyremedy@1.2.3", "fix", "--format", "sarif", "--output", "out/x.sarif", "--select", "verify-ssl", "--exclude", "'gen'", "--", "src", "lib/*.py", "services/$(id)"]]);
  });

  it("refuses a version that is not an npm version or tag", () => {
    const s = simulate({ version: "1.0 ; curl evil" }, { code: 0 });
    expect(s.failed).toBe(true);
    expect(s.npx).toEqual([]);
    expect(s.log).toContain("::error::version must be an npm version or tag");
  });

  it("pull-request: pushes a fix branch and opens a pull request instead of uploading", () => {
    const s = simulate({ "pull-request": "true", branch: "bots/pyremedy", draft: "true", args: "--select verify-ssl", path: "svc" }, { code: 0 });
    expect(s.npx).toEqual([["--yes", `pyremedy@${pkgVersion}`, "branch", "--push", "--pr", "--branch", "bots/pyremedy", "--draft", "--select", "verify-ssl", "--", "svc"]]);
    expect(s.uses.map((u) => u.uses)).toEqual(["actions/setup-node@v4"]);
    expect(stepNames(s)).not.toContain("Run pyremedy (SARIF)");
    expect(s.failed).toBe(false);
    // The commits need an author: the runner's git gets one.
    const name = execFileSync("git", ["config", "--global", "user.name"], { env: { ...process.env, HOME: s.home, GIT_CONFIG_NOSYSTEM: "1" }, encoding: "utf8" });
    expect(name.trim()).toBe("github-actions[bot]");
    const failing = simulate({ "pull-request": "true" }, { code: 2 });
    expect(failing.failed).toBe(true);
    expect(failing.npx[0]).toEqual(["--yes", `pyremedy@${pkgVersion}`, "branch", "--push", "--pr", "--", "."]);
  });
});
