/**
 * Partial parsing (src/python/outline.ts): which definitions the parser may leave out, that what
 * it keeps is parsed as a whole parse would parse it, and that leaving things out changes no
 * report (test/prefilter.test.ts compares whole reports with the prefilters, and so partial
 * parsing, on and off, over every fixture and a sample of the standard library).
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import { processSource, type FileOutcome } from "../src/engine/process.js";
import { hiddenDefinitions, includedRanges } from "../src/python/outline.js";
import { parsePython } from "../src/python/parser.js";
import { stdlibDir, stdlibSample } from "../scripts/stdlib.js";
import { contextFor, fixtureCases, setup } from "./helpers.js";

beforeAll(setup);

const narrowExcept = codemods.find((c) => c.id === "narrow-except")!;
const sitesOf = (text: string): readonly number[] => narrowExcept.sites!(text);
const hiddenNames = (text: string, sites: readonly number[] = sitesOf(text)): string[] | undefined =>
  hiddenDefinitions(text, sites)?.map((h) => h.name);

const MODULE = [
  '"""Doc."""',
  "import os",
  "",
  "",
  "def first():",
  "    return 1",
  "",
  "",
  "@decorated",
  "def quiet(a,",
  "          b):",
  '    """x = """',
  "    return a + b",
  "",
  "",
  "class Holder:",
  "    limit = 3",
  "",
  "    def calm(self):",
  "        return 2",
  "",
  "    def risky(self):",
  "        try:",
  "            os.remove('x')",
  "        except:",
  "            pass",
  "",
  "",
  "class Other:",
  "    def also_calm(self):",
  "        import json",
  "        return json",
  "",
  "    def m(self):",
  "        return 3",
  "",
  "",
  "def last():",
  "    pass",
  "",
].join("\n");

describe("which definitions are left out", () => {
  it("leaves out definitions holding no site, keeps the first, looks into the classes it keeps, and records the imports it leaves out", () => {
    const hidden = hiddenDefinitions(MODULE, sitesOf(MODULE))!;
    expect(hidden.map((h) => h.name)).toEqual(["quiet", "calm", "Other", "last"]);
    expect(hidden[2]!.imports.map((r) => MODULE.slice(r.start, r.end))).toEqual(["import json\n"]);
    expect(hidden.filter((h) => h.name !== "Other").every((h) => h.imports.length === 0)).toBe(true);
    // `quiet` runs from its decorator's line to the start of the line of `class Holder`.
    const quiet = hidden[0]!;
    expect(MODULE.slice(quiet.start, quiet.end).startsWith("@decorated\n")).toBe(true);
    expect(MODULE.slice(quiet.end).startsWith("class Holder:")).toBe(true);
    // A method's scope is its class: the index of the `class` keyword.
    expect(hidden[1]!.scope).toBe(MODULE.indexOf("class Holder"));
    expect(hidden[0]!.scope).toBe(0);
  });

  it("parses what it keeps as a whole parse does", () => {
    const hidden = hiddenDefinitions(MODULE, sitesOf(MODULE))!;
    const partial = parsePython(MODULE, includedRanges(MODULE, hidden));
    const whole = parsePython(MODULE);
    try {
      expect(partial.rootNode.hasError).toBe(false);
      const kept = (t: typeof whole) => t.rootNode.descendantsOfType("except_clause").map((n) => `${n.startIndex} ${n.toString()}`);
      expect(kept(partial)).toEqual(kept(whole));
      expect(partial.rootNode.namedChildren.map((n) => n!.startIndex)).toEqual(
        whole.rootNode.namedChildren.filter((n) => !hidden.some((h) => h.start <= n!.startIndex && n!.startIndex < h.end)).map((n) => n!.startIndex),
      );
    } finally {
      partial.delete();
      whole.delete();
    }
  });

  it.each([
    ["a tab in indentation", "def a():\n\treturn 1\n"],
    ["a print statement", "def a():\n    print 'x'\n"],
    ["an exec statement", "def a():\n    exec code in ns\n"],
    ["except X, e", "def a():\n    try:\n        pass\n    except ValueError, e:\n        pass\n"],
    ["a backtick", "def a():\n    return `x`\n"],
    ["<>", "def a():\n    return 1 <> 2\n"],
    ["a merge conflict", "def a():\n    pass\n<<<<<<< HEAD\ndef b():\n    pass\n"],
    ["an unclosed string", "def a():\n    return 'x\n"],
    ["an unclosed triple-quoted string", 'def a():\n    return """x\n'],
    ["an unclosed bracket", "def a():\n    return (1,\n"],
    ["a closing bracket too many", "def a():\n    return 1)\n"],
    ["an unexpected indent", "def a():\n    x = 1\n        y = 2\n"],
    ["a dedent to no level", "def a():\n        x = 1\n    y = 2\n"],
    ["a block missing", "def a():\nx = 1\n"],
    ["decorators on nothing", "@d\nx = 1\n"],
    ["a stray backslash", "def a():\n    return 1 \\ 2\n"],
  ])("parses the whole text when it holds %s", (_what, body) => {
    const text = `def first():\n    pass\n\n\n${body}\n\ndef b():\n    try:\n        pass\n    except:\n        pass\n`;
    expect(hiddenDefinitions(text, sitesOf(text))).toBeUndefined();
  });

  it("keeps definitions that spell a name a new logger could take", () => {
    const text = "import os\n\n\ndef first():\n    pass\n\n\ndef a():\n    logger = 1\n\n\ndef b():\n    try:\n        pass\n    except:\n        pass\n";
    expect(hiddenNames(text)).toEqual([]);
    expect(hiddenNames(text.replace("logger = 1", "value = 1"))).toEqual(["a"]);
  });
});

/** Run narrow-except on `text` with partial parsing (the default) and with a whole parse (prefilters off). */
function bothWays(text: string): { partial: FileOutcome; whole: FileOutcome } {
  const bytes = Buffer.from(text, "utf8");
  const run = (prefilter: boolean) => processSource(bytes, contextFor("pkg/mod.py"), { codemods: [narrowExcept], maxBytes: 1 << 21, prefilter });
  return { partial: run(true), whole: run(false) };
}

describe("what a left-out definition still means", () => {
  it("its name is bound: a module-level `def logging` is seen", () => {
    const text = "def first():\n    pass\n\n\ndef logging():\n    return 1\n\n\ndef b():\n    try:\n        pass\n    except:\n        pass\n";
    expect(hiddenNames(text)).toEqual(["logging"]);
    const { partial, whole } = bothWays(text);
    expect(partial).toEqual(whole);
    expect(partial.status).toBe("unchanged");
    expect(partial.notices.map((n) => n.message).join("\n")).toMatch(/`logging` is bound/);
  });

  it("its imports still bind: `lg.warning` after `import logging as lg` in a function left out is a log call", () => {
    const text = [
      "def first():", "    pass", "", "",
      "def helper():", "    import logging as lg", "    from os import (", "        path,", "    )", "    return lg", "", "",
      "def b():", "    try:", "        pass", "    except:", '        lg.warning("failed")', "",
    ].join("\n");
    expect(hiddenNames(text)).toEqual(["helper"]);
    const { partial, whole } = bothWays(text);
    expect(partial).toEqual(whole);
    expect(partial.status).toBe("changed");
    // It already logs: narrowed, no logger added.
    expect(partial.after).not.toMatch(/getLogger|\.exception\(/);
  });

  it("the logger's definition gets the blank lines a definition that follows it wants", () => {
    const text = "import os\n\n\ndef first():\n    pass\n\nimport sys\n\ndef hidden():\n    return 1\n\n\nx = 1\n\n\ndef b():\n    try:\n        pass\n    except:\n        pass\n";
    expect(hiddenNames(text)).toEqual(["hidden"]);
    const { partial, whole } = bothWays(text);
    expect(partial.status).toBe("changed");
    expect(partial.after).toBe(whole.after);
  });

  it("the edited handlers are parsed again after the fix, though no codemod admits the new text", () => {
    const text = "import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef first():\n    pass\n\n\ndef b():\n    try:\n        pass\n    except:\n        pass\n";
    const { partial, whole } = bothWays(text);
    expect(partial.status).toBe("changed");
    expect(partial).toEqual(whole);
  });

  it("a syntax error only a parser sees, inside a definition left out, goes unseen (documented): the fix touches only parsed code", () => {
    const text = "def first():\n    pass\n\n\ndef broken():\n    x = = 1\n\n\ndef b():\n    try:\n        pass\n    except:\n        pass\n";
    const { partial, whole } = bothWays(text);
    expect(whole.status).toBe("skipped");
    expect(partial.status).toBe("changed");
    expect(partial.after!.includes("    x = = 1\n")).toBe(true);
  });
});

describe("over real code", () => {
  it("keeps every handler narrow-except acts on, and parses it as a whole parse does (fixtures and a standard library sample)", () => {
    const texts = [
      ...fixtureCases().map((k) => fs.readFileSync(k.input, "utf8")),
      ...stdlibSample(stdlibDir(), { size: 80 }).map((rel) => fs.readFileSync(path.join(stdlibDir(), rel), "utf8")),
    ].filter((t) => narrowExcept.mayApply(t, "x.py"));
    expect(texts.length).toBeGreaterThan(20);
    let hiddenSome = 0;
    for (const text of texts) {
      const hidden = hiddenDefinitions(text, sitesOf(text));
      if (!hidden || hidden.length === 0) continue;
      hiddenSome++;
      const whole = parsePython(text);
      const partial = parsePython(text, includedRanges(text, hidden));
      try {
        if (whole.rootNode.hasError) continue;
        expect(partial.rootNode.hasError).toBe(false);
        const handlers = (t: typeof whole) => t.rootNode.descendantsOfType("except_clause").map((n) => n!)
          .filter((n) => !hidden.some((h) => h.start <= n.startIndex && n.startIndex < h.end))
          .map((n) => `${n.startIndex}-${n.endIndex} ${n.toString()}`);
        expect(handlers(partial)).toEqual(handlers(whole));
        for (const site of sitesOf(text)) expect(hidden.some((h) => h.start <= site && site < h.end)).toBe(false);
      } finally {
        whole.delete();
        partial.delete();
      }
    }
    expect(hiddenSome).toBeGreaterThan(10);
  });
});
