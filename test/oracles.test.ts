/**
 * The peers as oracles on the sample repositories: after `fix --write` (every codemod, through
 * the built CLI), ruff (E722, S110, S112 with typed-exception checks, S501, S323) and pylint
 * (W0702) report nothing at all, and the write itself passes the checks of write-check.ts.
 * The same oracles on the standard library: test/stdlib-sample.test.ts and `npm run check:stdlib -- --oracles`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pylintOracle, pylintVersion, ruffCheck, ruffOracle, unexplained } from "../scripts/oracles.js";
import { pythonFiles } from "../scripts/stdlib.js";
import { checkWrite, type WriteCheck } from "../scripts/write-check.js";
import { FIXTURES } from "./helpers.js";

const REPOS = ["billing-service", "geodata", "ticket-bot"];
let dir: string;
let check: WriteCheck;
let files: string[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-oracles-"));
  for (const side of ["original", "work"]) fs.cpSync(path.join(FIXTURES, "sample-repos"), path.join(dir, side), { recursive: true });
  files = pythonFiles(path.join(dir, "original"));
  check = checkWrite(path.join(dir, "original"), path.join(dir, "work"), { targets: REPOS, args: ["--jobs", "1"] });
}, 60_000);

describe("the sample repositories after fix --write", () => {
  it("pass the write checks (nothing failed, broken or left to change) with every codemod at work", () => {
    expect(check.problems).toEqual([]);
    const by = check.first.report.summary.byCodemod;
    for (const id of ["narrow-except", "verify-ssl"]) expect(by[id], id).toBeGreaterThan(0);
    expect(check.compiledBefore).toBe(check.changed.filter((f) => f.endsWith(".py")).length);
  });

  it("ruff reports nothing of E722, S110, S112 (typed), S501, S323 — it did before", () => {
    const ruff = ruffOracle(path.join(dir, "original"), path.join(dir, "work"), files, check.changed, check.entries);
    for (const code of ["E722", "S110", "S112", "S501", "S323"]) expect(ruff.before[code], code).toBeGreaterThan(0);
    expect(ruff.remaining).toEqual([]);
    expect(Object.values(ruff.after).every((n) => n === 0)).toBe(true);
  });

  it("pylint reports no W0702 — it did before", async () => {
    expect(pylintVersion(), "pylint is needed (Debian: apt-get install pylint; .ci/run installs it)").toBeDefined();
    const pylint = await pylintOracle(path.join(dir, "original"), path.join(dir, "work"), files, check.entries);
    expect(pylint.before.W0702).toBeGreaterThan(0);
    expect(pylint.remaining).toEqual([]);
    expect(pylint.after.W0702).toBe(0);
  }, 60_000);
});

describe("the oracle's bookkeeping", () => {
  it("matches findings by the code they cover, so a finding the write introduced is never explained away", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-oracles-unit-"));
    const before = "def f():\n    try:\n        g()\n    except OSError:\n        pass\n";
    // A write that narrowed `except:` to a typed handler that still swallows would be caught:
    const original = "def f():\n    try:\n        g()\n    except:\n        pass\n";
    fs.mkdirSync(path.join(root, "a"));
    fs.mkdirSync(path.join(root, "b"));
    fs.writeFileSync(path.join(root, "a/x.py"), original);
    fs.writeFileSync(path.join(root, "b/x.py"), before);
    const entries = new Map([["x.py", { repo: root, path: "x.py", status: "changed" as const }]]);
    const result = ruffOracle(path.join(root, "a"), path.join(root, "b"), ["x.py"], ["x.py"], entries);
    expect(unexplained(result).map((f) => f.code)).toEqual(["S110"]);
    // The same typed handler, there before and untouched, is the author's choice.
    const same = ruffOracle(path.join(root, "b"), path.join(root, "b"), ["x.py"], ["x.py"], entries);
    expect(same.remaining.map((f) => f.why)).toEqual(["typed handler written by the author (narrow-except changes bare and blind handlers only)"]);
    expect(ruffCheck(before, "x.py")[0]).toMatchObject({ code: "S110", line: 4, covers: "except OSError: pass" });
  });
});
