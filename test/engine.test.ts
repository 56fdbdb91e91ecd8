import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Codemod } from "../src/codemod.js";
import { decodeSource, encodeSource } from "../src/engine/source.js";
import { discover } from "../src/engine/discover.js";
import { writeAtomic, WriteError } from "../src/engine/write.js";
import { editsCollide } from "../src/engine/apply.js";
import { runOn, setup } from "./helpers.js";

beforeAll(setup);

/** A codemod for engine tests: `produce` finds `needle` occurrences and edits them. */
function fake(id: string, needle: string, replacement: (match: string) => string, extra: Partial<Codemod> = {}): Codemod {
  return {
    id, title: id, what: "", why: "", safety: "safe", safetyNote: "", example: { before: "", after: "" }, peers: [], references: [],
    mayApply: (t) => t.includes(needle),
    produce(file) {
      const changes = [];
      let i = file.text.indexOf(needle);
      while (i >= 0) {
        const { line, column } = file.position(i);
        changes.push({ codemod: id, line, column, safety: "safe" as const, description: `edit ${needle}`, edits: [{ start: i, end: i + needle.length, text: replacement(needle) }] });
        i = file.text.indexOf(needle, i + needle.length);
      }
      return { changes };
    },
    ...extra,
  };
}

/** python3's verdict on a source: "ok", or "<error type> <line>:<offset> <message>" for the SyntaxError compile() raises. */
function python(src: string): string {
  const script = "import sys\ntry:\n    compile(sys.stdin.buffer.read(), 'x.py', 'exec'); print('ok')\nexcept SyntaxError as e:\n    print(f'{type(e).__name__} {e.lineno}:{e.offset} {e.msg}')";
  return spawnSync("python3", ["-c", script], { input: src, encoding: "utf8" }).stdout.trim();
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-engine-"));
}

describe("decoding", () => {
  it("keeps a UTF-8 BOM and round-trips", () => {
    const bytes = Buffer.from("\ufeffx = 1\n", "utf8");
    const r = decodeSource(bytes);
    expect(r.ok && r.source.bom && r.source.text).toBe("x = 1\n");
    if (r.ok) expect(Buffer.from(encodeSource(r.source.text, r.source)).equals(bytes)).toBe(true);
  });

  it("honours latin-1 and cp1252 coding cookies", () => {
    const latin = Buffer.from("# coding: latin-1\ns = 'caf\u00e9'\n", "latin1");
    const r = decodeSource(latin);
    expect(r.ok && r.source.encoding).toBe("latin1");
    expect(r.ok && r.source.text.includes("caf\u00e9")).toBe(true);
    const cp = Buffer.concat([Buffer.from("# -*- coding: cp1252 -*-\ns = '"), Buffer.from([0x80]), Buffer.from("'\n")]);
    const c = decodeSource(cp);
    expect(c.ok && c.source.text.includes("\u20ac")).toBe(true);
    if (c.ok) expect(Buffer.from(encodeSource(c.source.text, c.source)).equals(cp)).toBe(true);
  });

  it("skips undecodable, binary and multi-byte-codec files with reasons", () => {
    expect(decodeSource(Buffer.from([0x78, 0x3d, 0xff, 0x0a]))).toEqual({ ok: false, reason: "not valid UTF-8 (undecodable bytes)" });
    expect(decodeSource(Buffer.from([0x78, 0x00, 0x79]))).toMatchObject({ ok: false, reason: expect.stringMatching(/binary/) });
    expect(decodeSource(Buffer.from("# coding: shift_jis\nx = 1\n"))).toMatchObject({ ok: false, reason: expect.stringMatching(/unsupported source encoding/) });
  });

  it("detects the dominant line ending", () => {
    const r = decodeSource(Buffer.from("a = 1\r\nb = 2\r\n"));
    expect(r.ok && r.source.eol).toBe("\r\n");
  });

  it("refuses to write a character the encoding cannot hold", () => {
    expect(() => encodeSource("\u20ac", { encoding: "latin1", bom: false })).toThrow(/cannot be written in latin1/);
  });
});

describe("the pipeline", () => {
  it("skips files with syntax errors and leaves them alone", () => {
    const out = runOn("def f(:\n    pass\n", [fake("a", "pass", () => "return")]);
    expect(out).toMatchObject({ status: "skipped", reason: "syntax error at 1:7" });
  });

  it("skips a file nested deeper than CPython allows (201 open brackets) before parsing it, where python3 refuses it too", async () => {
    const { verifySsl } = await import("../codemods/verify-ssl.js");
    // `calls` calls around the request, inside a tuple: calls + 2 brackets open at the deepest.
    const nested = (calls: number) =>
      `import requests\n\nt = (1,\n    ${"f(".repeat(calls)}requests.get(u, verify=False)${")".repeat(calls)})\n`;
    expect(python(nested(198))).toBe("ok");
    expect(runOn(nested(198), [verifySsl]).status).toBe("changed");
    const refused = python(nested(199));
    expect(refused).toMatch(/^SyntaxError 4:\d+ too many nested parentheses$/);
    const started = performance.now();
    expect(runOn(nested(199), [verifySsl])).toMatchObject({
      status: "skipped",
      reason: `syntax error at ${refused.split(" ")[1]} (too many nested parentheses: Python allows 200 open brackets)`,
    });
    // Brackets in strings and comments are no nesting.
    const quoted = `import requests\nx = "${"(".repeat(300)}"  # ${"[".repeat(300)}\nrequests.get(u, verify=False)\n`;
    expect(python(quoted)).toBe("ok");
    expect(runOn(quoted, [verifySsl]).status).toBe("changed");
    // 20,000 levels: refused at once (walking up such a tree took seconds per site, growing with the square of the depth).
    expect(runOn(nested(20_000), [verifySsl]).status).toBe("skipped");
    expect(performance.now() - started).toBeLessThan(60_000); // a hang guard only; the time is not the assertion
  });

  it("skips what tree-sitter-python parses but Python refuses: an unexpected indent, a dedent to no open level, a block with nothing under it", async () => {
    const { verifySsl } = await import("../codemods/verify-ssl.js");
    const fixable = 'requests.get(u, verify=False)\n';
    const cases: [string, string][] = [
      [`import requests\n    x = 1\n${fixable}`, "2:5 (unexpected indent)"],
      [`import requests\nif x:\n    a = 1\n  b = 2\n${fixable}`, "4:3 (unindent does not match any outer indentation level)"],
      [`import requests\ndef f():\n# a comment is no statement\n${fixable}`, "4:1 (expected an indented block)"],
      [`import requests\n${fixable}for x in y:  # nothing follows\n`, "3:12 (expected an indented block)"],
    ];
    for (const [src, where] of cases) {
      expect(python(src)).toMatch(new RegExp(`^IndentationError ${where.split(":")[0]}:`));
      expect(runOn(src, [verifySsl])).toMatchObject({ status: "skipped", reason: `syntax error at ${where}` });
    }
    // Continuation lines, brackets and strings are no indentation.
    const valid = `import requests\nx = (1,\n        2)\ny = """\n    text\n"""\nz = 1 + \\\n      2\nif x:  # comment\n    pass\n${fixable}`;
    expect(python(valid)).toBe("ok");
    expect(runOn(valid, [verifySsl]).status).toBe("changed");
  });

  it("skips a byte order mark in code, as Python does, where a fix removing the lines before it would make it the file's BOM (fuzzer, seed 912 case 1923)", async () => {
    const { verifySsl } = await import("../codemods/verify-ssl.js");
    const stray = 'os.environ["PYTHONHTTPSVERIFY"] = "0"\n\uFEFFimport os\n';
    expect(python(stray)).toMatch(/^SyntaxError 2:\d+ invalid non-printable character U\+FEFF$/);
    expect(runOn(stray, [verifySsl])).toMatchObject({ status: "skipped", reason: "syntax error at 2:1 (invalid non-printable character U+FEFF)" });
    // In a string or a comment it is only a character.
    const quoted = 'import os\n# \uFEFF\nmark = "\uFEFF"\nos.environ["PYTHONHTTPSVERIFY"] = "0"\n';
    expect(python(quoted)).toBe("ok");
    expect(runOn(quoted, [verifySsl]).status).toBe("changed");
  });

  it("refuses a fix whose result Python would refuse for its indentation", () => {
    const indenter = fake("indenter", "b = 2\n", () => "b = 2\n      c = 3\n");
    expect(runOn("a = 1\nb = 2\n", [indenter])).toMatchObject({ status: "failed", reason: "fix refused: the result has an indentation error at line 3 (unexpected indent)" });
  });

  it("finds a change's statement from the root down: the same statement walking up finds, without the square of the depth", async () => {
    const { parsePython, statementAt } = await import("../src/python/parser.js");
    const { fixtureCases } = await import("./helpers.js");
    const walkingUp = (root: import("web-tree-sitter").Node, index: number) => {
      let n = root.descendantForIndex(index);
      while (n && n.parent && n.parent.type !== "block" && n.parent.type !== "module") n = n.parent;
      return n ?? root;
    };
    let compared = 0;
    for (const c of fixtureCases()) {
      const text = fs.readFileSync(c.input, "utf8");
      const tree = parsePython(text);
      // Every token start: where sites and changes are.
      for (const m of text.matchAll(/[A-Za-z_(\[{"'#@=]+/g)) {
        const a = statementAt(tree.rootNode, m.index);
        const b = walkingUp(tree.rootNode, m.index);
        if (a.startIndex !== b.startIndex || a.endIndex !== b.endIndex) expect([c.name, m.index, a.type, b.type]).toBe("the same statement");
        compared++;
      }
      tree.delete();
    }
    expect(compared).toBeGreaterThan(2_000);
    // A site in the first term of a 3,000-term `+` chain (3,000 levels deep): 3.2 s before, walking up.
    const { verifySsl } = await import("../codemods/verify-ssl.js");
    const chain = `import requests\nt = requests.get(u, verify=False) + ${Array(3000).fill("1").join(" + ")}\n`;
    const started = performance.now();
    expect(runOn(chain, [verifySsl]).status).toBe("changed");
    expect(performance.now() - started).toBeLessThan(60_000); // a hang guard only
  });

  it("skips files over the size cap", async () => {
    const { processSource } = await import("../src/engine/process.js");
    const { contextFor } = await import("./helpers.js");
    const out = processSource(Buffer.from("x = 1\n".repeat(100)), contextFor("big.py"), { codemods: [], maxBytes: 100 });
    expect(out).toMatchObject({ status: "skipped", reason: expect.stringMatching(/too large/) });
  });

  it("applies colliding changes from two codemods over several passes without corrupting the file", () => {
    // Both want the same token: the first wins, the second sees the new text and finds nothing.
    const a = fake("a", "foo", () => "bar");
    const b = fake("b", "foo", () => "baz");
    const out = runOn("x = foo\n", [a, b]);
    expect(out.status).toBe("changed");
    expect(out.after).toBe("x = bar\n");
    expect(out.changes.map((c) => c.codemod)).toEqual(["a"]);
  });

  it("defers a colliding change to the next pass when it still applies", () => {
    const a = fake("a", "old", () => "new");
    const b = fake("b", "x = ", () => "y = ");
    const c: Codemod = { ...fake("c", "x = old", () => ""), produce(file) {
      const i = file.text.indexOf("x = old");
      if (i < 0) return { changes: [] };
      return { changes: [{ codemod: "c", line: 1, column: 1, safety: "safe", description: "c", edits: [{ start: i, end: i + 1, text: "z" }] }] };
    } };
    const out = runOn("x = old\n", [a, b, c]);
    expect(out.status).toBe("changed");
    expect(out.after).toBe("y = new\n");
  });

  it("refuses a codemod that does not converge", () => {
    const grow = fake("grow", "x", () => "xx");
    const out = runOn("x = 1\n", [grow]);
    expect(out.status).toBe("failed");
    expect(out.reason).toMatch(/not idempotent/);
  });

  it("refuses a fix whose result does not parse", () => {
    const broken = fake("broken", "= 1", () => "= (");
    const out = runOn("x = 1\n", [broken]);
    expect(out).toMatchObject({ status: "failed", reason: expect.stringMatching(/fix refused: the result has a syntax error/) });
  });

  it("refuses a fix that leaves a block with no statement, which tree-sitter parses without an error", () => {
    const remover = fake("remover", "    x = 1\n", () => "");
    const out = runOn("def f():\n    x = 1\n    x = 1\n\n\ny = 2\n", [remover]);
    expect(out).toMatchObject({ status: "failed", reason: "fix refused: the result has a block with no statement (line 1)" });
    // One removal of two is fine; a block that was empty before is not the fix's doing.
    expect(runOn("def f():\n    x = 1\n    z = 2\n", [remover]).status).toBe("changed");
    // (Tabs: the lexical indentation check, which would skip this file first, cannot read them.)
    expect(runOn("def g():\n\nx = 1\ndef f():\n\tx = 1\n\tz = 2\n", [fake("remover", "\tx = 1\n", () => "", { mayApply: () => true })]).status).toBe("changed");
  });

  it("reports a crashing codemod as failed, with its reason", () => {
    const crash: Codemod = { ...fake("crash", "x", () => "y"), produce() { throw new Error("boom"); } };
    expect(runOn("x = 1\n", [crash])).toMatchObject({ status: "failed", reason: "crash crashed: boom" });
  });

  it("rejects overlapping edits within one change", () => {
    const bad: Codemod = { ...fake("bad", "x", () => "y"), produce() {
      return { changes: [{ codemod: "bad", line: 1, column: 1, safety: "safe", description: "d", edits: [{ start: 0, end: 3, text: "a" }, { start: 1, end: 2, text: "b" }] }] };
    } };
    expect(runOn("x = 1\n", [bad])).toMatchObject({ status: "failed", reason: expect.stringMatching(/overlapping edits/) });
  });

  it("treats insertions at the same point as colliding", () => {
    expect(editsCollide({ start: 3, end: 3, text: "a" }, { start: 3, end: 3, text: "b" })).toBe(true);
    expect(editsCollide({ start: 0, end: 3, text: "a" }, { start: 3, end: 5, text: "b" })).toBe(false);
  });
});

describe("discovery", () => {
  it("honours .gitignore (nested too), skipped directories and --exclude", () => {
    const root = tmpdir();
    const files = ["a.py", "ignored.py", "pkg/b.py", "pkg/gen/c.py", "venv/lib/d.py", ".venv/e.py", "node_modules/f.py", "build/g.py", "pkg/__pycache__/h.py", "docs/conf.py", "notes.txt"];
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), "x = 1\n");
    }
    fs.writeFileSync(path.join(root, ".gitignore"), "ignored.py\n");
    fs.writeFileSync(path.join(root, "pkg/.gitignore"), "gen/\n");
    const { targets } = discover([root], { exclude: ["docs/**"] });
    expect(targets.map((t) => t.relPath)).toEqual(["a.py", "pkg/b.py"]);
  });

  it("never follows a symlink out of the root", () => {
    const outside = tmpdir();
    fs.writeFileSync(path.join(outside, "secret.py"), "x = 1\n");
    const root = tmpdir();
    fs.writeFileSync(path.join(root, "real.py"), "x = 1\n");
    fs.symlinkSync(path.join(outside, "secret.py"), path.join(root, "link.py"));
    fs.symlinkSync(outside, path.join(root, "linkdir"));
    const { targets, problems } = discover([root]);
    expect(targets.map((t) => t.relPath)).toEqual(["real.py"]);
    expect(problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ relPath: "link.py", reason: "symlink points outside the root" }),
      expect.objectContaining({ relPath: "linkdir", reason: "symlink points outside the root" }),
    ]));
  });

  it("reports a missing path as failed", () => {
    const { problems } = discover([path.join(tmpdir(), "nope")]);
    expect(problems[0]).toMatchObject({ status: "failed", reason: expect.stringMatching(/ENOENT/) });
  });
});

describe("atomic write", () => {
  it("keeps the mode and leaves no temp file", () => {
    const dir = tmpdir();
    const file = path.join(dir, "x.py");
    fs.writeFileSync(file, "a\n");
    fs.chmodSync(file, 0o750);
    writeAtomic(file, Buffer.from("a\n"), Buffer.from("b\n"));
    expect(fs.readFileSync(file, "utf8")).toBe("b\n");
    expect(fs.statSync(file).mode & 0o777).toBe(0o750);
    expect(fs.readdirSync(dir)).toEqual(["x.py"]);
  });

  it("refuses when the file changed since it was read", () => {
    const dir = tmpdir();
    const file = path.join(dir, "x.py");
    fs.writeFileSync(file, "edited by someone\n");
    expect(() => writeAtomic(file, Buffer.from("a\n"), Buffer.from("b\n"))).toThrow(WriteError);
    expect(fs.readFileSync(file, "utf8")).toBe("edited by someone\n");
  });

  it("reports a failed write and keeps the original (read-only directory)", () => {
    const dir = tmpdir();
    const file = path.join(dir, "x.py");
    fs.writeFileSync(file, "a\n");
    fs.chmodSync(dir, 0o555);
    try {
      expect(() => writeAtomic(file, Buffer.from("a\n"), Buffer.from("b\n"))).toThrow(/read-only directory; not written/);
      expect(fs.readFileSync(file, "utf8")).toBe("a\n");
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });
});
