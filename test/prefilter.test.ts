/**
 * The prefilters and the shortcuts taken for speed never change a report. With every prefilter
 * off, every file that parses is parsed and every codemod runs on it: the outcome must be the
 * same as with them on, over every fixture and a fixed sample of the local standard library
 * (the whole library: `npm run bench -- --check-prefilter`). The incremental re-parse after a
 * fix gives the tree a fresh parse gives, and the keyword lookups find the nodes a walk of the
 * whole tree finds.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import type { Codemod } from "../src/codemod.js";
import { projectContext, projectFs } from "../src/engine/context.js";
import { processSource, type FileOutcome, type ProcessOptions } from "../src/engine/process.js";
import { decodeSource } from "../src/engine/source.js";
import { swallowingExceptAt } from "../src/python/except-prefilter.js";
import { PythonFile } from "../src/python/file.js";
import { nodesByKeyword, stringStartTokens, tokensSpelled } from "../src/python/keywords.js";
import { parsePython, query } from "../src/python/parser.js";
import { PROVIDER_GATE, PROVIDER_RULES, URL_GATE } from "../src/secrets/patterns.js";
import { mayHoldSecret } from "../src/secrets/prefilter.js";
import { stdlibDir, stdlibSample } from "../scripts/stdlib.js";
import { FAKE_KINDS, fakeSecret } from "./fake-secrets.js";
import { contextFor, fixtureCases, fixtureContext, setup } from "./helpers.js";

beforeAll(setup);

const MAX = 2 * 1024 * 1024;

function run(bytes: Uint8Array, ctx: Parameters<typeof processSource>[1], extra: Partial<ProcessOptions> = {}): FileOutcome {
  return processSource(bytes, ctx, { codemods, maxBytes: MAX, ...extra });
}

/** What a report shows of an outcome (the output bytes follow from `after`). */
function shown(o: FileOutcome): unknown {
  const { output: _bytes, ...rest } = o;
  return JSON.parse(JSON.stringify(rest));
}

/** Does `codemod` report anything (a change or a notice) on `source`, prefilters off? */
function finds(codemod: Codemod, source: string, relPath = "example.py"): boolean {
  const out = processSource(Buffer.from(source, "utf8"), contextFor(relPath), { codemods: [codemod], maxBytes: MAX, prefilter: false });
  return out.changes.length > 0 || out.notices.length > 0 || out.status === "skipped";
}

const byId = (id: string): Codemod => codemods.find((c) => c.id === id)!;

describe("reports are the same with the prefilters on and off", () => {
  const cases = fixtureCases();

  it("over every fixture", () => {
    expect(cases.length).toBeGreaterThan(50);
    for (const k of cases) {
      const bytes = fs.readFileSync(k.input);
      const on = run(bytes, fixtureContext(k));
      const off = run(bytes, fixtureContext(k), { prefilter: false });
      expect(shown(off), `${k.codemod}/${k.name}`).toEqual(shown(on));
    }
  });

  const stdlib = stdlibDir();
  const sample = stdlibSample(stdlib, { size: 60, salt: "prefilter", maxBytes: 40 * 1024 });

  it("over a fixed sample of the standard library, where the prefilters let few files through", () => {
    expect(sample).toHaveLength(60);
    const pfs = projectFs(stdlib);
    let admitted = 0;
    let reported = 0;
    for (const rel of sample) {
      const bytes = fs.readFileSync(path.join(stdlib, rel));
      const ctx = projectContext(stdlib, rel, pfs);
      const on = run(bytes, ctx);
      const off = run(bytes, ctx, { prefilter: false });
      expect(shown(off), rel).toEqual(shown(on));
      const decoded = decodeSource(bytes);
      if (decoded.ok && codemods.some((c) => c.mayApply(decoded.source.text, rel))) admitted++;
      if (on.changes.length || on.notices.length) reported++;
    }
    // The sample holds files with something to fix, and the prefilters keep most others out.
    expect(reported).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThan(reported + 15);
  });

  it("the incremental re-parse after a fix gives what a fresh parse gives", () => {
    const pfs = projectFs(stdlib);
    for (const k of cases) {
      const bytes = fs.readFileSync(k.input);
      expect(shown(run(bytes, fixtureContext(k))), k.name).toEqual(shown(run(bytes, fixtureContext(k), { freshReparse: true })));
    }
    for (const rel of sample) {
      const bytes = fs.readFileSync(path.join(stdlib, rel));
      const ctx = projectContext(stdlib, rel, pfs);
      expect(shown(run(bytes, ctx)), rel).toEqual(shown(run(bytes, ctx, { freshReparse: true })));
    }
  });

  it("a codemod that declares whom its edits may enable enables nobody else (fixtures, a standard library sample)", () => {
    const stdlib = stdlibDir();
    const inputs: { codemod: Codemod; relPath: string; text: string }[] = [
      ...cases.filter((k) => k.output).map((k) => ({ codemod: byId(k.codemod), relPath: k.relPath, text: fs.readFileSync(k.input, "utf8") })),
      ...stdlibSample(stdlib, { size: 60, salt: "enables", maxBytes: 40 * 1024 }).flatMap((rel) => {
        const text = fs.readFileSync(path.join(stdlib, rel), "latin1");
        return codemods.filter((c) => c.enables && c.mayApply(text, rel)).map((codemod) => ({ codemod, relPath: rel, text }));
      }),
    ];
    let checked = 0;
    for (const { codemod, relPath, text } of inputs) {
      if (!codemod.enables) continue;
      const out = processSource(Buffer.from(text, "utf8"), contextFor(relPath), { codemods: [codemod], maxBytes: MAX });
      if (out.status !== "changed") continue;
      checked++;
      for (const other of codemods) {
        if (other === codemod || codemod.enables.includes(other.id) || other.mayApply(text, relPath)) continue;
        expect(other.mayApply(out.after!, relPath), `${codemod.id}'s fix of ${relPath} gave ${other.id} work`).toBe(false);
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("keyword lookups find what walking the whole tree finds", () => {
    const ids = (nodes: readonly { type: string; startIndex: number; endIndex: number }[]): string[] => nodes.map((n) => `${n.type}@${n.startIndex}-${n.endIndex}`);
    const handlers = query("(except_clause) @handler");
    for (const rel of sample) {
      const decoded = decodeSource(fs.readFileSync(path.join(stdlib, rel)));
      if (!decoded.ok) continue;
      const file = new PythonFile(rel, decoded.source.text, parsePython(decoded.source.text), "\n");
      try {
        if (file.root.hasError) continue;
        expect(ids(nodesByKeyword(file, "except", new Set(["except_clause"]))), rel).toEqual(ids(handlers.captures(file.root).map((c) => c.node)));
        const imports = ["import_statement", "import_from_statement"];
        expect(ids(nodesByKeyword(file, "import", new Set(imports))), rel).toEqual(ids(file.root.descendantsOfType(imports).filter((n) => !!n)));
        expect(ids(stringStartTokens(file)), rel).toEqual(ids(file.root.descendantsOfType("string_start").filter((n) => !!n)));
        for (const name of ["logger", "log", "self"]) {
          const walked = file.root.descendantsOfType("identifier").filter((n) => n?.text === name);
          expect(ids(tokensSpelled(file, name, "identifier")), `${rel} ${name}`).toEqual(ids(walked as NonNullable<(typeof walked)[number]>[]));
        }
      } finally {
        file.tree.delete();
      }
    }
  });
});

describe("narrow-except's prefilter", () => {
  const narrow = byId("narrow-except");
  const admitted = [
    ["bare", "try:\n    x()\nexcept:\n    pass\n"],
    ["bare with a star", "try:\n    x()\nexcept* :\n    pass\n"],
    ["header over two lines (tree-sitter reads the line break as trivia)", "try:\n    x()\nexcept\n: pass\n"],
    ["comment inside the header", "try:\n    x()\nexcept Exception  # why\n:\n    pass\n"],
    ["blind in a tuple over lines, with a comment holding a colon", "try:\n    x()\nexcept (ValueError,  # note: odd\n        Exception):\n    pass\n"],
    ["a slice in the tuple", "try:\n    x()\nexcept (a[1:2], Exception):\n    pass\n"],
    ["builtins.BaseException", "import builtins\ntry:\n    x()\nexcept builtins.BaseException:\n    pass\n"],
    ["assignment first", "def f():\n    try:\n        x()\n    except Exception:\n        result = None\n"],
    ["print with the error", "try:\n    x()\nexcept Exception as e:\n    print('failed', e)\n"],
    ["alias used only in a lambda", "try:\n    x()\nexcept Exception as e:\n    cb = lambda: e\n"],
    ["alias as an attribute name", "try:\n    x()\nexcept Exception as e:\n    obj.e = 1\n"],
    ["body on the same line", "for i in y:\n    try: x()\n    except Exception: continue\n"],
    ["body after a comment line", "try:\n    x()\nexcept Exception:\n    # ignore\n\n    return_value = 0\n"],
    ["ellipsis", "try:\n    x()\nexcept BaseException:\n    ...\n"],
    ["line continuation in the body", "try:\n    x()\nexcept Exception:\n    y = \\\n        1\n"],
  ] as const;
  it.each(admitted)("admits %s (and the codemod finds it)", (_name, source) => {
    expect(finds(narrow, source), "the codemod acts here").toBe(true);
    expect(narrow.mayApply(source, "example.py")).toBe(true);
  });

  const rejected = [
    ["prose in a docstring", '"""Works except when the cause is a signal: then it fails."""\n'],
    ["a comment", "# There are a few catch-all except: statements here\nx = 1\n"],
    ["a handler that logs", "try:\n    x()\nexcept Exception:\n    log.exception('boom')\n"],
    ["a handler that raises", "try:\n    x()\nexcept Exception as e:\n    raise RuntimeError() from e\n"],
    ["a specific handler", "try:\n    x()\nexcept (KeyError, ValueError):\n    pass\n"],
    ["an assignment that uses the error", "try:\n    x()\nexcept Exception as e:\n    tb = e.__traceback__\n"],
  ] as const;
  it.each(rejected)("keeps out %s (the codemod finds nothing either)", (_name, source) => {
    expect(finds(narrow, source)).toBe(false);
    expect(swallowingExceptAt(source)).toBe(-1);
  });
});

describe("secrets-to-env's prefilter", () => {
  const secrets = byId("secrets-to-env");
  const token = "Zq8v3LmW-x7YpR2t";
  const admitted: readonly (readonly [string, string])[] = [
    ["an assigned name", `DB_PASSWORD = "${token}"\n`],
    ["an annotated attribute", `class C:\n    api_key: str = "${token}"\n`],
    ["a keyword over lines with a comment", `connect(\n    password=  # from ops\n        "${token}",\n)\n`],
    ["a typed default", `def f(secret_token: str = "${token}"):\n    return secret_token\n`],
    ["a dict key", `CONFIG = {"client_secret": "${token}"}\n`],
    ["a dict key 'pass' alone", `CONFIG = {"user": "admin", "pass": "${token}"}\n`],
    ["a key spelled with an escape", `CONFIG = {"pass\\x77ord": "${token}"}\n`],
    ["a key with a tab escape between words", `CONFIG = {"api\\tkey": "${token}"}\n`],
    ["a subscript", `settings["auth_token"] = "${token}"\n`],
    ["os.getenv's fallback", `import os\nKEY = os.getenv("SERVICE_API_KEY", "${token}")\n`],
    ["os.environ.get's default=", `import os\nKEY = os.environ.get(\n    "SERVICE_API_KEY",\n    default="${token}",\n)\n`],
    ["os.getenv through an alias", `from os import getenv as env\nKEY = env("SERVICE_API_KEY", "${token}")\n`],
    ["an implicitly concatenated value", `password = "${token.slice(0, 4)}" "${token.slice(4)}"\n`],
    ["a provider key split over two literals", `KEY = ("${fakeSecret("github").slice(0, 2)}"\n       "${fakeSecret("github").slice(2)}")\n`],
    ["a provider key with an escaped character", `KEY = "${fakeSecret("aws-id").replace("K", "\\x4b")}"\n`],
    ["a URL with a password", `DSN = "postgres://app:${token}@db.internal/app"\n`],
    // The gate and the hidden spots are found from `://`, backslashes and quotes: each kind must still reach the scan.
    ["a URL with a password after one without", `HOME = "https://example.org/"\nDSN = "postgres://app:${token}@db.internal/app"\n`],
    ["a key spelled only with escapes, after an escaped backslash", `PATH = "C:\\\\tmp"\nCONFIG = {"\\x70assword": "${token}"}\n`],
    ["a provider key split over touching literals, the second prefixed, after an empty string", `EMPTY = ""\nKEY = "${fakeSecret("github").slice(0, 2)}"r"${fakeSecret("github").slice(2)}"\n`],
  ];
  it.each(admitted)("admits %s (and the codemod finds it)", (_name, source) => {
    expect(finds(secrets, source), "the codemod acts here").toBe(true);
    expect(secrets.mayApply(source, "example.py")).toBe(true);
  });

  // Each case again inside a function after another one: a partial parse keeps that function
  // only when secretSites (Codemod.sites) points into it.
  it.each(admitted)("keeps in the parse the function that holds %s", (_name, source) => {
    const indented = source.replace(/^(?=.)/gm, "    ");
    const wrapped = `def first():\n    return 1\n\n\ndef holder():\n${indented}    return None\n`;
    const bytes = Buffer.from(wrapped, "utf8");
    const on = processSource(bytes, contextFor("example.py"), { codemods: [secrets], maxBytes: MAX });
    const off = processSource(bytes, contextFor("example.py"), { codemods: [secrets], maxBytes: MAX, prefilter: false });
    expect(on.changes.length + on.notices.length, "the codemod acts in the function").toBeGreaterThan(0);
    expect(shown(on)).toEqual(shown(off));
  });

  const rejected = [
    ["a short value", 'password = "x"\n'],
    ["a value with spaces", 'password_prompt_text = "Enter your password"\nhelp = {"password": "the password to use"}\n'],
    ["a value in an expression", 'token_range = "%d,%d-%d:" % (a, b, c)\n'],
    ["a list of keywords", "kwlist = ['pass', 'raise', 'return']\n"],
    ["a pass statement", "def f():\n    pass\n"],
    ["tokens in a tokenizer", "token = tokenize.generate_tokens(readline)\n"],
    ["a pair in a tuple, not a call", "waited = [('password', 'yh^%-rest-of-my-pw'), ('realm', 'pypi')]\n"],
    ["code in a string before a comma", 'check("def f(a, b=2): pass", "NAME")\n'],
    ["a URL with a placeholder password", 'url = "http://user:pass@www.example.org/"\n'],
  ] as const;
  it.each(rejected)("keeps out %s (the codemod finds nothing either)", (_name, source) => {
    expect(finds(secrets, source)).toBe(false);
    expect(mayHoldSecret(source)).toBe(false);
  });

  it("every provider rule's match passes the gate in front of the provider patterns", () => {
    expect(PROVIDER_RULES.length).toBeGreaterThan(10);
    for (const kind of FAKE_KINDS) {
      const value = fakeSecret(kind);
      const rules = PROVIDER_RULES.filter((r) => new RegExp(r.pattern.source).test(value));
      for (const rule of rules) {
        const match = new RegExp(rule.pattern.source).exec(value)![0];
        const gate = rule.provider === "url" ? URL_GATE : PROVIDER_GATE;
        expect(gate.test(match), `${kind}: ${rule.source}`).toBe(true);
      }
    }
  });
});

describe("verify-ssl's and init-exports' prefilters", () => {
  const verify = byId("verify-ssl");
  it.each([
    ["verify=False over a continuation", "import requests\nrequests.get(u, verify=\\\n    False)\n"],
    ["verify= with a comment before the value", "import requests\nrequests.get(\n    u,\n    verify=  # no CA here\n    False,\n)\n"],
    ["an environment key written with an escape", 'import os\nos.environ["PYTHONHTTPS\\x56ERIFY"] = "0"\n'],
  ])("verify-ssl admits %s (and finds it)", (_name, source) => {
    expect(finds(verify, source)).toBe(true);
    expect(verify.mayApply(source, "example.py")).toBe(true);
  });

  it("verify-ssl keeps out ssl= with a context", () => {
    const source = "import aiohttp\naiohttp.ClientSession().get(u, ssl=ssl_context)\n";
    expect(finds(verify, source)).toBe(false);
    expect(verify.mayApply(source, "example.py")).toBe(false);
  });

  it("verify-ssl keeps out names it only reads (no site: nothing assigned, no call it rewrites)", () => {
    const source = "import ssl\nif ctx.check_hostname and ctx.verify_mode == ssl.CERT_NONE:\n    warn(ctx.cert_reqs)\n";
    expect(finds(verify, source)).toBe(false);
    expect(verify.sites!(source)).toEqual([]);
    expect(verify.mayApply(source, "example.py")).toBe(false);
    // The same names assigned are sites, and admitted.
    expect(verify.mayApply("import ssl\nctx.check_hostname = False\n", "example.py")).toBe(true);
  });

  const init = byId("init-exports");
  it("init-exports admits only an __init__.py of comments, whitespace and one docstring", () => {
    expect(init.mayApply("", "pkg/__init__.py")).toBe(true);
    expect(init.mayApply("# c\n\n'''doc'''  # trailing\n\n", "pkg/__init__.py")).toBe(true);
    expect(init.mayApply('"""one""" "two"\n', "pkg/__init__.py")).toBe(true);
    expect(init.mayApply('"""doc"""\nfrom .a import b\n', "pkg/__init__.py")).toBe(false);
    expect(init.mayApply('"""doc"""\n"""second"""\n', "pkg/__init__.py")).toBe(false);
    expect(init.mayApply('f"doc"\n', "pkg/__init__.py")).toBe(false);
    expect(init.mayApply("", "pkg/module.py")).toBe(false);
  });
});
