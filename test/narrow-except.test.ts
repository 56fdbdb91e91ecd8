/**
 * narrow-except beyond the generic fixture suite: independent oracles (ruff, Python's own
 * parser, running the fixed code), the sample repositories, and a sample of the standard library.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { narrowExcept } from "../codemods/narrow-except.js";
import type { Codemod } from "../src/codemod.js";
import { explainCodemod } from "../src/docs.js";
import { runFix } from "../src/engine/run.js";
import { importInsertionPoint } from "../src/python/imports.js";
import { contextFor, FIXTURES, fixtureCases, runOn, setup } from "./helpers.js";
import { ruffFindings } from "./oracles/ruff.js";

beforeAll(setup);

const RULES = ["E722", "BLE001", "S110", "S112"];
/** S110/S112 also on typed handlers (`except ValueError: pass`), as the issue asks. */
const TYPED = { "flake8-bandit": { "check-typed-exception": true } };

const cases = fixtureCases().filter((k) => k.codemod === "narrow-except");
const positives = cases.filter((k) => k.output);

/** Findings ruff still reports on an output, and why that is right. */
const RESIDUE: Record<string, { codes: string[]; why: string }> = {
  "reuses-existing-logger-private": { codes: ["BLE001"], why: "ruff knows loggers by name (log*, *logger); `_log` is neither, yet it is the module's logger" },
  "bare-except-that-already-logs": {
    codes: ["BLE001", "BLE001"],
    why: "these handlers already report the error (.warning(), self.showtraceback()); they are narrowed, and not given a second report",
  },
  "logger-added-once-when-first-handler-suppressed": {
    codes: ["S110"],
    why: "`# noqa: E722` (a peer's code) keeps the codemod off that handler; ruff honours it for E722 only",
  },
  "one-line-handlers": { codes: ["BLE001"], why: "`except Exception: proc.kill(); return False` does work: not a swallowing handler, left alone" },
};
/** Inputs whose flaw ruff does not report. */
const RUFF_BLIND: Record<string, string> = {
  "keeps-reraise-as-base-exception": "ruff's E722 accepts a bare except whose handler re-raises (pylint W0702 does not)",
};
/** Loggers imported from another module: ruff needs to be told (its `logger-objects` setting). */
const LOGGER_OBJECTS: Record<string, string[]> = { "reuses-imported-logger": ["billing.app.logger"] };

function decoded(file: string): string {
  return fs.readFileSync(file, "utf8").replace(/^\ufeff/, "");
}

function findings(k: { name: string }, source: string): string[] {
  const settings = { ...TYPED, ...(LOGGER_OBJECTS[k.name] ? { "logger-objects": LOGGER_OBJECTS[k.name] } : {}) };
  return ruffFindings(source, RULES, settings).map((f) => `${f.code}@${f.line}`);
}

/** Every handler of a Python file, as Python's own parser sees it: `<type>: <first statement>` (compiling it first). */
const HANDLERS_PY = `
import ast, json, sys
out = {}
for path in sys.argv[1:]:
    src = open(path, encoding="utf-8-sig").read()
    compile(src, path, "exec", dont_inherit=True)
    rows = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ExceptHandler):
            t = ast.unparse(node.type) if node.type else "bare"
            if node.name:
                t += " as " + node.name
            rows.append((node.lineno, t + ": " + ast.unparse(node.body[0])))
    out[path] = [r for _, r in sorted(rows)]
print(json.dumps(out))
`;

/** The fix itself, read back by Python: each handler's clause and first statement after the fix. */
const EXPECTED: Record<string, string[]> = {
  "adds-logger-after-docstring-and-future": ["Exception: logger.exception('main failed')"],
  "adds-logger-after-imports": ["Exception: logger.exception('sync failed')"],
  "adds-logger-to-module-without-imports": ["Exception: logger.exception('close_quietly failed')"],
  "async-handler": ["Exception: logger.exception('heartbeat failed')", "Exception as exc: logger.exception('close failed')"],
  "bare-except-that-already-logs": [
    "Exception: logger.warning('refresh failed; serving stale data')",
    "(ValueError, TypeError): raise ValueError('not a number: %r' % (value,))",
    "Exception: self.showtraceback()",
  ],
  "blind-exception-in-tuple": ["(ImportError, Exception): logger.exception('reload failed')"],
  "class-body-handler": ["Exception: logger.exception('Features failed')"],
  "crlf-line-endings": ["Exception: logger.exception('load failed')", "OSError: logger.exception('drop failed')"],
  "else-and-finally": ["Exception: logger.exception('transfer failed')"],
  "except-star": ["OSError as group: failed = len(group.exceptions)", "Exception: logger.exception('gather_all failed')"],
  "falls-back-to-exception": ["Exception: logger.exception('fetch_tickets failed')", "Exception: logger.exception('shadowed_int failed')"],
  "follows-single-quote-style": ["Exception: logger.exception('stop failed')"],
  "generator-handler": ["Exception: logger.exception('stream failed')"],
  "import-ending-in-backslash": ["(OSError, ValueError): logger.exception('load failed')"],
  "infers-import-error": ["ImportError: import json", "ImportError: yaml = None"],
  "infers-key-and-index-error-for-subscripts": ["(KeyError, IndexError): logger.exception('first_tag failed')"],
  "infers-os-error-for-file-system-calls": [
    "OSError: logger.exception('cleanup failed')",
    "OSError: logger.exception('size_of failed')",
    "OSError: logger.exception('read_blob failed')",
    "(OSError, UnicodeDecodeError): logger.exception('read_text failed')",
  ],
  // [tool.pyremedy.narrow-except] infer = false: every bare except becomes the generic, logged form.
  "infer-off/config": [
    "Exception: logger.exception('module setup failed')",
    "Exception: logger.exception('port failed')",
    "Exception: logger.exception('load failed')",
    "BaseException: raise",
  ],
  "infers-value-error-for-int": [
    "(ValueError, TypeError): logger.exception('port_from_env failed')",
    "(ValueError, TypeError): logger.exception('ratio failed')",
  ],
  "infers-value-error-for-json-load": ["ValueError: logger.exception('parse_payload failed')", "ValueError: logger.exception('read_settings failed')"],
  "keeps-comments": [
    "Exception: logger.exception('best_effort failed')",
    "Exception: logger.exception('placeholder failed')",
    "(KeyError, IndexError): logger.exception('cached failed')",
  ],
  "keeps-continue-and-return": ["Exception: logger.exception('total failed')", "Exception: logger.exception('lookup failed')"],
  "keeps-reraise-as-base-exception": ["BaseException: shutil.rmtree(tmpdir, ignore_errors=True)"],
  "logger-added-once-when-first-handler-suppressed": [
    "bare: pass",
    "Exception: logger.exception('probe failed')",
    "Exception: logger.exception('close failed')",
  ],
  "logger-name-taken": ["Exception: _logger.exception('flush failed')"],
  "logging-imported-as-alias": ["Exception: logger.exception('touch failed')"],
  "module-level-handler": ["(OSError, ValueError): logger.exception('module setup failed')"],
  "nested-try": [
    "Exception: logger.exception('shutdown failed')",
    "Exception: logger.exception('shutdown failed')",
    "ValueError: db = None",
    "Exception: logger.exception('shutdown failed')",
  ],
  "one-line-handlers": ["Exception: logger.exception('stop failed')", "Exception: proc.kill()", "Exception: logger.exception('stop failed')"],
  "print-becomes-logging": [
    "Exception: log.exception('post failed')",
    "Exception: log.exception('post_all failed')",
    "Exception: log.exception('ping failed')",
  ],
  "reuses-existing-logger": ["Exception: log.exception('poll failed')"],
  "reuses-existing-logger-private": ["Exception: _log.exception('notify failed')"],
  "reuses-existing-logger-uppercase": ["BaseException: LOGGER.exception('run failed')"],
  "reuses-imported-logger": ["BaseException: logger.exception('refresh_rates failed')"],
  "skips-exceptions-handled-earlier": ["KeyError: return None", "IndexError: logger.exception('setting failed')"],
  "tab-indentation": ["OSError: logger.exception('remove failed')", "Exception: logger.exception('clear failed')"],
  "utf8-bom": ["ValueError: logger.exception('menu failed')"],
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-narrow-except-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function python(script: string, args: readonly string[] = [], env: Record<string, string> = {}): string {
  return execFileSync("python3", ["-c", script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
}

describe("narrow-except: ruff as oracle", () => {
  it.each(positives.map((k) => [k.name, k] as const))("%s: ruff found the flaw before and finds only the documented residue after", (name, k) => {
    if (!RUFF_BLIND[name]) expect(findings(k, decoded(k.input)).length, "the oracle sees the flaw in the input").toBeGreaterThan(0);
    const after = findings(k, decoded(k.output!)).map((f) => f.split("@")[0]);
    expect(after, RESIDUE[name]?.why).toEqual(RESIDUE[name]?.codes ?? []);
  });

  it("without logger-objects, ruff does not see an imported logger (why the setting is given)", () => {
    const k = positives.find((c) => c.name === "reuses-imported-logger")!;
    expect(ruffFindings(decoded(k.output!), ["BLE001"]).map((f) => f.code)).toEqual(["BLE001"]);
  });
});

describe("narrow-except: the fix itself", () => {
  it("every output compiles, and Python reads each handler back as expected", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(positives.map((k) => k.name).sort());
    const files = positives.map((k) => k.output!);
    const seen = JSON.parse(python(HANDLERS_PY, files)) as Record<string, string[]>;
    for (const k of positives) expect(seen[k.output!], k.name).toEqual(EXPECTED[k.name]);
  });

  it("every added log message is one constant string naming the function or class", () => {
    for (const k of positives) {
      const before = decoded(k.input);
      const added = [...decoded(k.output!).matchAll(/\.exception\(([^)]*)\)/g)].map((m) => m[1]!).filter((arg) => !before.includes(arg));
      for (const arg of added) expect(arg, k.name).toMatch(/^(["'])(\w+|module setup) failed\1$/);
    }
  });

  it("the fixed code behaves as intended when run", () => {
    const dir = path.join(tmp, "run");
    fs.mkdirSync(dir);
    for (const name of ["infers-value-error-for-int", "falls-back-to-exception", "keeps-reraise-as-base-exception", "module-level-handler",
      "generator-handler", "async-handler", "print-becomes-logging", "class-body-handler"]) {
      fs.copyFileSync(path.join(FIXTURES, "narrow-except", `${name}.output.py`), path.join(dir, `${name.replace(/-/g, "_")}.py`));
    }
    fs.copyFileSync(path.join(FIXTURES, "narrow-except", "generator-handler.input.py"), path.join(dir, "generator_handler_before.py"));
    fs.writeFileSync(path.join(dir, "requests.py"), "");
    const script = `
import asyncio, contextlib, io, logging, os, sys, tempfile
sys.path.insert(0, sys.argv[1])
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append((record.getMessage(), record.exc_info[0].__name__ if record.exc_info else None))
logging.getLogger().addHandler(Keep())
def logged():
    out = list(records)
    records.clear()
    return out

import infers_value_error_for_int as m
os.environ["PORT"] = "eighty"
assert m.port_from_env() == 8080
assert logged() == [("port_from_env failed", "ValueError")], records
assert m.ratio(None) == 0.0 and logged() == [("ratio failed", "TypeError")]

import falls_back_to_exception as m
class Session:
    def __init__(self, exc): self.exc = exc
    def get(self, url, timeout): raise self.exc
assert m.fetch_tickets(Session(RuntimeError("down")), "u") == []
assert logged() == [("fetch_tickets failed", "RuntimeError")]
try:
    m.fetch_tickets(Session(KeyboardInterrupt()), "u")
    raise AssertionError("KeyboardInterrupt was swallowed")
except KeyboardInterrupt:
    pass

import keeps_reraise_as_base_exception as m
src = tempfile.mkdtemp(); dst = tempfile.mkdtemp()
try:
    m.publish(src, dst)
    raise AssertionError("copytree onto an existing directory should raise")
except FileExistsError:
    assert not os.path.exists(src)

os.environ["APP_CONFIG"] = os.path.join(tempfile.mkdtemp(), "missing.json")
import module_level_handler as m
assert m.CONFIG == {} and logged() == [("module setup failed", "FileNotFoundError")]

import class_body_handler as m
assert m.Features.native in (True, False) and logged() == []

def decode(chunk):
    if chunk == "bad": raise ValueError(chunk)
    return chunk.upper()
import generator_handler as m, generator_handler_before as old
m.decode = old.decode = decode
assert list(m.stream(["a", "bad", "b"])) == ["A", "B"] and logged() == [("stream failed", "ValueError")]
g = m.stream(["a", "b"]); next(g); g.close()
g = old.stream(["a", "b"]); next(g)
try:
    g.close()
    raise AssertionError("the bare except used to swallow GeneratorExit")
except RuntimeError:
    pass

import async_handler as m
class Client:
    async def ping(self): await asyncio.sleep(10)
async def cancel_heartbeat():
    task = asyncio.ensure_future(m.heartbeat(Client()))
    await asyncio.sleep(0.01)
    task.cancel()
    try:
        await asyncio.wait_for(task, 2)
    except asyncio.CancelledError:
        return "cancelled"
    return "swallowed"
assert asyncio.run(cancel_heartbeat()) == "cancelled"

import print_becomes_logging as m
def send(x): raise ConnectionError("refused")
m.send = send
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    m.post({"id": 1})
assert buf.getvalue() == "" and logged() == [("post failed", "ConnectionError")]
print("ok")
`;
    expect(python(script, [dir]).trim()).toBe("ok");
  });
});

describe("narrow-except: planning", () => {
  it("defines the logger once for many handlers, on the first change that logs", () => {
    const src = "def a():\n    try:\n        x()\n    except:\n        pass\n\n\ndef b():\n    try:\n        y()\n    except Exception:\n        return None\n";
    const out = runOn(src, [narrowExcept]);
    expect(out.status).toBe("changed");
    const defining = out.changes.filter((c) => c.edits.some((e) => e.text.includes("getLogger(")));
    expect(defining).toHaveLength(1);
    expect(defining[0]!.line).toBe(4);
    expect(out.after!.match(/getLogger\(/g)).toHaveLength(1);
  });

  it("still defines the logger when the change carrying it is deferred behind another codemod's import", () => {
    // A codemod that runs first and inserts at the very point where `import logging` goes.
    const first: Codemod = {
      ...narrowExcept,
      id: "aaa-add-import",
      mayApply: () => true,
      produce(file) {
        if (file.text.includes("import ssl")) return { changes: [] };
        const { at } = importInsertionPoint(file);
        return { changes: [{ codemod: "aaa-add-import", line: 1, column: 1, safety: "safe", description: "add ssl", edits: [{ start: at, end: at, text: "import ssl\n" }] }] };
      },
    };
    const src = "import os\n\n\ndef a():\n    try:\n        x()\n    except:\n        pass\n\n\ndef b():\n    try:\n        y()\n    except:\n        pass\n";
    const out = runOn(src, [first, narrowExcept]);
    expect(out.status, out.reason).toBe("changed");
    expect(out.after!.match(/^logger = logging\.getLogger\(__name__\)$/gm)).toHaveLength(1);
    expect(out.after!.match(/^import logging$/gm)).toHaveLength(1);
    expect(out.after!.match(/logger\.exception/g)).toHaveLength(2);
    const f = path.join(tmp, "deferred.py");
    fs.writeFileSync(f, out.after!);
    python("import sys, runpy; runpy.run_path(sys.argv[1])", [f]);
  });

  it("says why a handler was left alone", () => {
    const shadowed = runOn(fs.readFileSync(path.join(FIXTURES, "narrow-except/logger-shadowed-in-function.input.py")), [narrowExcept]);
    expect(shadowed.notices.map((n) => [n.line, n.message])).toEqual([[9, expect.stringMatching(/`log` is rebound here/)]]);
    const late = runOn(fs.readFileSync(path.join(FIXTURES, "narrow-except/logger-defined-after-module-level-handler.input.py")), [narrowExcept]);
    expect(late.notices.map((n) => [n.line, n.message])).toEqual([[6, expect.stringMatching(/defined after this handler/)]]);
  });

  it("marks each change safe or review as the issue asks", () => {
    const safety = (name: string): string[] =>
      runOn(fs.readFileSync(path.join(FIXTURES, `narrow-except/${name}.input.py`)), [narrowExcept]).changes.map((c) => c.safety);
    expect(safety("keeps-reraise-as-base-exception")).toEqual(["safe"]);
    expect(safety("infers-value-error-for-int")).toEqual(["review", "review"]);
    expect(safety("falls-back-to-exception")).toEqual(["review", "review"]);
    expect(safety("reuses-existing-logger")).toEqual(["safe"]);
    expect(safety("print-becomes-logging")).toEqual(["review", "review", "safe"]);
  });

  it("explain says what now propagates at runtime", () => {
    const text = explainCodemod(narrowExcept);
    for (const word of ["KeyboardInterrupt", "SystemExit", "asyncio.CancelledError", "review"]) expect(text).toContain(word);
  });
});

describe("narrow-except: real code", () => {
  it("on the sample repos, --write leaves no bare or blind swallowing handler ruff can see, and everything compiles", async () => {
    const repos = path.join(tmp, "sample-repos");
    fs.cpSync(path.join(FIXTURES, "sample-repos"), repos, { recursive: true });
    const pyFiles = (fs.readdirSync(repos, { recursive: true }) as string[]).filter((f) => f.endsWith(".py")).map((f) => path.join(repos, f));
    const settings = { ...TYPED, "logger-objects": ["billing.app.logger"] };
    const count = (): number => pyFiles.reduce((n, f) => n + ruffFindings(fs.readFileSync(f, "utf8"), RULES, settings).length, 0);
    expect(count()).toBeGreaterThanOrEqual(8);
    const repoDirs = fs.readdirSync(repos).map((d) => path.join(repos, d));
    const report = await runFix({ paths: repoDirs, codemods: [narrowExcept], write: true, jobs: 1 });
    expect(report.files.filter((f) => f.status === "failed")).toEqual([]);
    expect(report.files.filter((f) => f.status === "changed").length).toBeGreaterThanOrEqual(6);
    expect(count()).toBe(0);
    python("import py_compile, sys\nfor f in sys.argv[1:]:\n    py_compile.compile(f, cfile=f + 'c', doraise=True)\n", pyFiles);
  }, 30_000);

  it("over a sample of the standard library, every changed file still compiles and converges", () => {
    const stdlib = python("import sysconfig; print(sysconfig.get_paths()['stdlib'])").trim();
    const candidates = fs.readdirSync(stdlib).filter((f) => f.endsWith(".py")).sort()
      .filter((f) => fs.statSync(path.join(stdlib, f)).size < 60_000)
      .filter((f) => /except\s*(Exception|BaseException)?\s*:/.test(fs.readFileSync(path.join(stdlib, f), "latin1")));
    const sample = candidates.filter((_, i) => i % 3 === 0).slice(0, 16);
    const dir = path.join(tmp, "stdlib");
    fs.mkdirSync(dir);
    const written: string[] = [];
    for (const name of sample) {
      const out = runOn(fs.readFileSync(path.join(stdlib, name)), [narrowExcept], name, contextFor(name, stdlib));
      expect(out.status, `${name}: ${out.reason}`).not.toBe("failed");
      if (out.status !== "changed") continue;
      const f = path.join(dir, name);
      fs.writeFileSync(f, out.output!);
      written.push(f);
    }
    expect(written.length).toBeGreaterThanOrEqual(6);
    python("import py_compile, sys\nfor f in sys.argv[1:]:\n    py_compile.compile(f, cfile=f + 'c', doraise=True)\n", written);
  }, 30_000);
});
