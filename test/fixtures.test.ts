/**
 * The generic suite (jscodeshift __testfixtures__, Ruff's test harness): for every codemod in
 * the registry and every fixture case, the output matches byte for byte, re-parses without
 * errors, a second run changes nothing, every change is described, and edits never overlap.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import { selectCompatible } from "../src/engine/apply.js";
import { countSyntaxErrors, parsePython } from "../src/python/parser.js";
import { decodeSource } from "../src/engine/source.js";
import { PythonFile } from "../src/python/file.js";
import { fixtureCases, fixtureContext, FIXTURES, runOn, setup } from "./helpers.js";

beforeAll(setup);

const cases = fixtureCases();

describe("registry", () => {
  it("is sorted by id and matches the codemods/ folder", () => {
    const ids = codemods.map((c) => c.id);
    expect(ids).toEqual([...ids].sort());
    const files = fs.readdirSync(path.join(FIXTURES, "..", "codemods")).filter((f) => f.endsWith(".ts") && f !== "index.ts").map((f) => f.replace(/\.ts$/, "")).sort();
    expect(ids).toEqual(files);
  });

  it("has fixtures, positive and negative, for every codemod", () => {
    for (const c of codemods) {
      const mine = cases.filter((k) => k.codemod === c.id);
      expect(mine.some((k) => k.output), `${c.id} has a positive case`).toBe(true);
      expect(mine.some((k) => !k.output), `${c.id} has a negative case`).toBe(true);
    }
  });

  it("every fixture folder names a codemod", () => {
    const ids = new Set(codemods.map((c) => c.id));
    for (const k of cases) expect(ids.has(k.codemod), k.codemod).toBe(true);
  });
});

describe.each(cases.map((k) => [`${k.codemod}/${k.name}`, k] as const))("%s", (_label, k) => {
  const codemod = codemods.find((c) => c.id === k.codemod)!;
  const rel = k.relPath;

  it(k.output ? "produces the expected output, byte for byte" : "changes nothing", () => {
    const input = fs.readFileSync(k.input);
    const out = runOn(input, [codemod], rel, fixtureContext(k));
    expect(out.status, out.reason).not.toBe("failed");
    if (!k.output) {
      expect(out.status).not.toBe("changed");
      return;
    }
    expect(out.status).toBe("changed");
    const expected = fs.readFileSync(k.output);
    expect(Buffer.from(out.output!).toString("latin1")).toBe(expected.toString("latin1"));
  });

  if (!k.output) return;

  it("re-parses without errors, converges, and describes every change", () => {
    const input = fs.readFileSync(k.input);
    const out = runOn(input, [codemod], rel, fixtureContext(k));
    const decoded = decodeSource(out.output!);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const tree = parsePython(decoded.source.text);
    expect(countSyntaxErrors(tree.rootNode)).toBe(0);
    tree.delete();
    const again = runOn(out.output!, [codemod], rel, fixtureContext(k));
    expect(again.status, "second run changes nothing").toBe("unchanged");
    for (const c of out.changes) {
      expect(c.description.trim().length, "description").toBeGreaterThan(0);
      expect(c.codemod).toBe(codemod.id);
      expect(["safe", "review"]).toContain(c.safety);
    }
  });

  it("its edits in one pass never overlap", () => {
    const text = fs.readFileSync(k.input, "latin1");
    const decoded = decodeSource(fs.readFileSync(k.input));
    if (!decoded.ok) throw new Error(decoded.reason);
    const file = new PythonFile(rel, decoded.source.text, parsePython(decoded.source.text), decoded.source.eol);
    try {
      const { changes } = codemod.produce(file, fixtureContext(k));
      // An empty __init__.py is a real input for project cases; elsewhere an empty fixture is a mistake.
      if (!k.project) expect(text.length).toBeGreaterThan(0);
      expect(selectCompatible(changes).deferred).toEqual([]);
    } finally {
      file.tree.delete();
    }
  });

  it("the prefilter admits it", () => {
    const input = fs.readFileSync(k.input, "latin1");
    expect(codemod.mayApply(input, rel)).toBe(true);
  });
});
