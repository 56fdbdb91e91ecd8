/**
 * Unified diffs (src/engine/diff.ts): jsdiff's own patch for ordinary changes; past LARGE_DIFF
 * differing lines (jsdiff's Myers diff takes time in lines × changes) hunks built from a walk of
 * both texts, which must still apply and give the fixed text.
 */
import fs from "node:fs";
import { applyPatch, createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../src/engine/diff.js";
import { fixtureCases } from "./helpers.js";

const pairs = fixtureCases().filter((k) => k.output).map((k) => ({ name: k.name, before: fs.readFileSync(k.input, "utf8"), after: fs.readFileSync(k.output!, "utf8") }));

function jsdiff(name: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
}

describe("unifiedDiff", () => {
  it("is jsdiff's patch for the fixtures' changes", () => {
    expect(pairs.length).toBeGreaterThan(50);
    for (const p of pairs) expect(unifiedDiff("x.py", p.before, p.after), p.name).toBe(jsdiff("x.py", p.before, p.after));
  });

  it("built from the walk (forced for every fixture), still applies and gives the fixed text", () => {
    for (const p of pairs) {
      const patch = unifiedDiff("x.py", p.before, p.after, "", -1);
      expect(applyPatch(p.before, patch), p.name).toBe(p.after);
    }
  });

  it("a file with thousands of fixes: the walk's patch applies, with CRLF and without a final line break", () => {
    for (const eol of ["\n", "\r\n"]) {
      const fn = (i: number, body: string): string => [`def f${i}(x):`, "    try:", "        return int(x)", `    except${body}:`, "        pass", "", ""].join(eol);
      const before = "import os" + eol + eol + Array.from({ length: 1500 }, (_, i) => fn(i, "")).join("") + "x = 1";
      const after = "import logging" + eol + "import os" + eol + eol + Array.from({ length: 1500 }, (_, i) => fn(i, " ValueError")).join("") + "x = 2";
      const patch = unifiedDiff("big.py", before, after);
      expect(patch).toContain("\\ No newline at end of file");
      expect(applyPatch(before, patch)).toBe(after);
    }
  });
});
