/**
 * The CI-sized version of `npm run check:stdlib`: `fix --write` through the built CLI on a fixed
 * sample of the local standard library (40 files: the decoding/skipping edge cases, files with
 * handlers and TLS settings the codemods look at, and others), then the same requirements — 0
 * failed files, every changed file that compiled still compiles, skipped files byte-identical, a
 * second run changes nothing — and the peers as oracles: no ruff or pylint finding left
 * unexplained.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { byReason, pylintOracle, pylintVersion, ruffOracle, unexplained } from "../scripts/oracles.js";
import { copyFiles, stdlibDir, stdlibSample } from "../scripts/stdlib.js";
import { checkWrite, type WriteCheck } from "../scripts/write-check.js";

const stdlib = stdlibDir();
const sample = stdlibSample(stdlib, { size: 40 });
let dir: string;
let check: WriteCheck;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-stdlib-sample-"));
  copyFiles(stdlib, path.join(dir, "original"), sample);
  copyFiles(stdlib, path.join(dir, "work"), sample);
  check = checkWrite(path.join(dir, "original"), path.join(dir, "work"), { args: ["--jobs", "2"] });
}, 120_000);

describe("fix --write on a sample of the standard library", () => {
  it("is a fixed sample of 40 files that exercises the codemods and the skip paths", () => {
    expect(sample).toHaveLength(40);
    expect(stdlibSample(stdlib, { size: 40 })).toEqual(sample);
    expect(check.changed.length).toBeGreaterThanOrEqual(10);
    expect(check.skipped.length).toBeGreaterThanOrEqual(3);
  });

  it("fails no file, breaks no file that compiled, touches nothing it did not report, and converges", () => {
    expect(check.problems).toEqual([]);
    expect(check.first.report.summary.filesFailed).toBe(0);
    expect(check.compiledBefore).toBe(check.changed.length - check.notCompilingBefore.length);
    expect(check.second.report.summary.changes).toBe(0);
  });

  it("skips the files it cannot rewrite losslessly, each with its reason", () => {
    const reasons = Object.fromEntries(check.skipped.map((k) => [k.path, k.reason]));
    expect(reasons).toMatchObject({
      "lib2to3/tests/data/py2_test_grammar.py": expect.stringMatching(/^Python 2 source/),
      "test/tokenizedata/bad_coding.py": expect.stringMatching(/^unsupported source encoding 'uft-8'/),
      "test/tokenizedata/badsyntax_pep3120.py": "not valid UTF-8 (undecodable bytes)",
    });
  });

  it("ruff (E722, S110, S112 typed, S501, S323): every finding left is explained", () => {
    const files = sample;
    const ruff = ruffOracle(path.join(dir, "original"), path.join(dir, "work"), files, check.changed, check.entries);
    expect(ruff.before.E722).toBeGreaterThan(0);
    expect(ruff.after.E722).toBe(0);
    expect(unexplained(ruff)).toEqual([]);
    // What is left is typed handlers the author wrote, or in files skipped with a reason.
    for (const why of byReason(ruff).keys()) expect(why).toMatch(/^(typed handler written by the author|file skipped: |test code |suppressed on its line)/);
  });

  it("pylint W0702 (on the files with a bare except, up to 16 KiB: pylint is slow): from >0 to 0", async () => {
    expect(pylintVersion(), "pylint is needed (Debian: apt-get install pylint; .ci/run installs it)").toBeDefined();
    const small = sample.filter((f) => fs.statSync(path.join(dir, "original", f)).size <= 16 * 1024);
    const pylint = await pylintOracle(path.join(dir, "original"), path.join(dir, "work"), small, check.entries);
    expect(pylint.before.W0702).toBeGreaterThan(0);
    expect(pylint.after.W0702).toBe(0);
    expect(unexplained(pylint)).toEqual([]);
  }, 60_000);
});
