import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import { replaceGeneratedTable } from "../src/docs.js";
import { ROOT } from "./helpers.js";

describe("README", () => {
  it("holds the codemod table generated from metadata (run `npm run docs` when this fails)", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(replaceGeneratedTable(readme, codemods)).toBe(readme);
  });
});
