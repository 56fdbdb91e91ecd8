/**
 * Bugs the fuzzer and the standard-library run found, each as its smallest reproducer, kept so
 * they stay fixed. (Codemod-specific ones live as fixtures: fixtures/narrow-except/lone-cr-line-ending.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../../codemods/index.js";
import type { Codemod } from "../../src/codemod.js";
import { countSyntaxErrors, firstSyntaxError, parsePython } from "../../src/python/parser.js";
import { runOn, setup } from "../helpers.js";

beforeAll(setup);

/** Inserts a statement at the top of every file, on the file's own line ending (as init-exports and narrow-except do). */
const prepend: Codemod = {
  id: "prepend", title: "prepend", what: "", why: "", safety: "safe", safetyNote: "", example: { before: "", after: "" }, peers: [], references: [],
  mayApply: () => true,
  produce: (file) => ({ changes: file.text.startsWith("import os") ? [] : [{ codemod: "prepend", line: 1, column: 1, safety: "safe", description: "add an import", edits: [{ start: 0, end: 0, text: `import os${file.eol}` }] }] }),
};

describe("lone CR line endings (fuzzer, seed 1 case 107: an __init__.py of four CRs, filled by init-exports)", () => {
  it("are skipped with a reason: Python reads a line break where tree-sitter reads a space", () => {
    for (const input of ["\r\r\r\r", "x = 1\ry = 2\r", "x = 1\r\ny = 2\rz = 3\r\n"]) {
      const out = runOn(input, [prepend]);
      expect(out.status, JSON.stringify(input)).toBe("skipped");
      expect(out.reason).toMatch(/^lone CR line ending on line \d+ \(Python reads a line break there, the parser does not\)$/);
    }
    expect(runOn("x = 1\r\n", [prepend]).status).toBe("changed");
  });

  it("whatever the codemods: every registered codemod leaves such a file alone", () => {
    const out = runOn("import requests\rrequests.get(u, verify=False)\r", codemods);
    expect(out.status).toBe("skipped");
  });

  it("the syntax check sees the MISSING line breaks tree-sitter hides (they are no visible child)", () => {
    const tree = parsePython('"""Doc."""\r\rfrom .api import Client\r\r__all__ = ["Client"]\r');
    try {
      expect(tree.rootNode.hasError).toBe(true);
      expect(countSyntaxErrors(tree.rootNode)).toBeGreaterThan(0);
      expect(firstSyntaxError(tree.rootNode)).toBeDefined();
    } finally {
      tree.delete();
    }
  });
});

describe("where a syntax error is reported (standard library: test/test_compile.py was 'syntax error at 1:1')", () => {
  it("names the innermost error, not the module-wide ERROR around it", () => {
    const out = runOn("from test.support.os_helper import FakePath\n        ]:\n                self.check(code)\n", [prepend]);
    expect(out).toMatchObject({ status: "skipped", reason: "syntax error at 2:9" });
  });

  it("valid Python tree-sitter cannot read (a dedent inside brackets) is skipped at the spot, never rewritten", () => {
    const source = "def f():\n    def g():\n        (bar.\n    baz)\n    try:\n        g()\n    except:\n        pass\n";
    expect(runOn(source, codemods)).toMatchObject({ status: "skipped", reason: "syntax error at 3:9" });
  });
});

describe("one codemod's change enabling another's (fuzzer, seed 3 case 3976: refused as 'not idempotent')", () => {
  /** Adds `import os` to a file that uses os without importing it. */
  const importOs: Codemod = {
    ...prepend, id: "import-os",
    mayApply: (t) => t.includes("os."),
    produce: (file) => ({ changes: /^import os$/m.test(file.text) ? [] : [{ codemod: "import-os", line: 1, column: 1, safety: "safe", description: "import os", edits: [{ start: 0, end: 0, text: `import os${file.eol}` }] }] }),
  };
  /** Changes `os.environ["X"] = "0"` only once `os` is imported (as verify-ssl resolves names through imports). */
  const dropOverride: Codemod = {
    ...prepend, id: "drop-override",
    mayApply: (t) => t.includes("os.environ"),
    produce(file) {
      if (!/^import os$/m.test(file.text)) return { changes: [] };
      const at = file.text.indexOf('os.environ["X"] = "0"\n');
      if (at < 0) return { changes: [] };
      return { changes: [{ codemod: "drop-override", line: 2, column: 1, safety: "safe", description: "drop", edits: [{ start: at, end: at + 'os.environ["X"] = "0"\n'.length, text: "" }] }] };
    },
  };

  it("is a cascade that gets a pass of its own, not a refusal", () => {
    const out = runOn('os.environ["X"] = "0"\nprint(os.name)\n', [dropOverride, importOs]);
    expect(out.status, out.reason).toBe("changed");
    expect(out.after).toBe("import os\nprint(os.name)\n");
  });

  it("with the real codemods: a credential moved to os.environ lets verify-ssl see PYTHONHTTPSVERIFY", () => {
    const out = runOn('DB_PASSWORD = "s3cure-Billing-2024!"\nos.environ["PYTHONHTTPSVERIFY"] = "0"\n', codemods);
    expect(out.status, out.reason).toBe("changed");
    expect(out.after).not.toContain("PYTHONHTTPSVERIFY");
  });

  it("with the real codemods: a handler's whole body verify-ssl removes leaves `pass` for narrow-except (fuzzer, seed 912 case 761)", () => {
    const src = "import logging\nimport urllib3\n\nlogger = logging.getLogger(__name__)\n\ntry:\n    charge()\nexcept Exception:\n    urllib3.disable_warnings()\n";
    const out = runOn(src, codemods);
    expect(out.status, out.reason).toBe("changed");
    expect(out.changes.map((c) => c.codemod).sort()).toEqual(["narrow-except", "verify-ssl"]);
    expect(out.after).not.toContain("disable_warnings");
    expect(out.after).not.toMatch(/except Exception:\n {4}pass/);
    // Settled in one run: a second changes nothing.
    expect(runOn(out.after!, codemods).status).toBe("unchanged");
  });

  it("also when the enabled codemod changed something else in the same pass (fuzzer, seed 5 case 929)", () => {
    /** drop-override, and also `verify=False` → `verify=True` on the first pass. */
    const both: Codemod = {
      ...dropOverride, id: "both",
      mayApply: () => true,
      produce(file) {
        const changes = [...dropOverride.produce(file, undefined as never).changes].map((c) => ({ ...c, codemod: "both" }));
        const at = file.text.indexOf("verify=False");
        if (at >= 0) changes.push({ codemod: "both", line: 3, column: 1, safety: "safe", description: "verify", edits: [{ start: at, end: at + 12, text: "verify=True" }] });
        return { changes };
      },
    };
    const out = runOn('os.environ["X"] = "0"\nprint(os.name)\nget(u, verify=False)\n', [both, importOs]);
    expect(out.status, out.reason).toBe("changed");
    expect(out.after).toBe("import os\nprint(os.name)\nget(u, verify=True)\n");
  });

  it("a codemod that would change its own output again is still refused", () => {
    const twice: Codemod = { ...prepend, id: "twice", produce: (file) => ({ changes: [{ codemod: "twice", line: 1, column: 1, safety: "safe", description: "again", edits: [{ start: 0, end: 0, text: "#" }] }] }) };
    expect(runOn("x = 1\n", [twice])).toMatchObject({ status: "failed", reason: expect.stringMatching(/^fix refused: not idempotent \(twice/) });
    // verify-ssl adding `import ssl` makes its own `ssl.` site resolvable: its own output, changed again.
    const own = "from ssl import _create_unverified_context\nfrom urllib.request import urlopen\n\nssl._create_default_https_context = ssl._create_unverified_context\n\npage = urlopen(u, context=_create_unverified_context())\n";
    expect(runOn(own, codemods)).toMatchObject({ status: "failed", reason: expect.stringMatching(/^fix refused: not idempotent \(verify-ssl/) });
  });
});
