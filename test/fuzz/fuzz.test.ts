/**
 * The bounded fuzz run of CI: a fixed seed and a fixed number of cases (a few seconds), over the
 * fixtures, the sample repositories and a sample of the standard library. `npm run fuzz` runs
 * the same fuzzer for longer with any seed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { describeReport, fuzz, loadCorpus, shrink, type FuzzReport } from "./fuzzer.js";
import { MUTATORS, Rng, mutate } from "./mutators.js";

let report: FuzzReport;

beforeAll(async () => {
  report = await fuzz({ seed: 20240229, cases: 120, seconds: 20, corpus: loadCorpus({ stdlibFiles: 12 }), writeEvery: 40 });
}, 120_000);

describe("the mutation fuzzer (bounded run)", () => {
  it("never crashes, never fails a file but by a refused fix, never writes a worse or unstable file", () => {
    expect(report.violations, describeReport(report).join("\n")).toEqual([]);
  });

  it("really exercised the pipeline: changed, unchanged and skipped outcomes, writes, python3 compiles", () => {
    expect(report.cases).toBeGreaterThanOrEqual(60);
    expect(report.statuses.changed ?? 0).toBeGreaterThan(10);
    expect(report.statuses.skipped ?? 0).toBeGreaterThan(10);
    expect(report.statuses.unchanged ?? 0).toBeGreaterThan(0);
    expect(report.written).toBe(report.cases);
    expect(report.compiled).toBe(report.statuses.changed);
  });
});

describe("the fuzzer's parts", () => {
  it("is deterministic: the same seed gives the same mutations", () => {
    const input = Buffer.from("def f():\n    try:\n        g()\n    except:\n        pass\n");
    const a = mutate(new Rng(7), input, input);
    const b = mutate(new Rng(7), input, input);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.applied).toEqual(b.applied);
  });

  it("every mutator changes something, given room", () => {
    const input = Buffer.from("import requests\r\n\r\ndef f():\r\n\tif x:\r\n\t\ttry:\r\n\t\t\tg()\r\n\t\texcept:\r\n\t\t\tpass\r\n");
    for (const m of MUTATORS) {
      const changed = [1, 2, 3, 4, 5, 6, 7, 8].some((seed) => !Buffer.from(m.apply(new Rng(seed), input, Buffer.from("x = 1\n"))).equals(input));
      expect(changed, m.name).toBe(true);
    }
  });

  it("shrinks a failing input to the lines that matter", () => {
    const input = Buffer.from("a = 1\nb = 2\nBAD\nc = 3\nd = 4\n");
    expect(Buffer.from(shrink(input, (b) => Buffer.from(b).includes("BAD"))).toString()).toBe("BAD\n");
  });
});
