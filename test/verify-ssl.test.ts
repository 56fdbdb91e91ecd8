import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import os from "node:os";
import { beforeAll, describe, expect, it } from "vitest";
import { verifySsl } from "../codemods/verify-ssl.js";
import { contextFor, FIXTURES, fixtureCases, runOn, setup } from "./helpers.js";
import { ruffFindings } from "./oracles/ruff.js";

beforeAll(setup);

const RULES = ["S501", "S323"];

describe("verify-ssl", () => {
  it("reports a verify flag that flows through a variable, without changing it", () => {
    const src = fs.readFileSync(path.join(FIXTURES, "verify-ssl/leaves-variable-flag.input.py"));
    const out = runOn(src, [verifySsl]);
    expect(out.status).toBe("unchanged");
    expect(out.notices).toEqual([expect.objectContaining({ codemod: "verify-ssl", line: 7, message: expect.stringContaining("VERIFY_SSL") })]);
  });

  it("cert_reqs: a verifying mode says nothing; CERT_NONE it cannot rewrite, and variables, get the true reason", () => {
    const notices = (src: string) => {
      const out = runOn(src, [verifySsl]);
      expect(out.status).toBe("unchanged");
      return out.notices.map((n) => n.message);
    };
    // `ssl` bound by a call (the standard library's tests do this): CERT_REQUIRED keeps verification on.
    expect(notices('ssl = import_module("ssl")\nssl.wrap_socket(s, cert_reqs=ssl.CERT_REQUIRED)\nssl.wrap_socket(s, cert_reqs=ssl.CERT_OPTIONAL)\n')).toEqual([]);
    expect(notices('ssl = import_module("ssl")\nssl.wrap_socket(s, cert_reqs=ssl.CERT_NONE)\n')).toEqual([
      "cert_reqs=ssl.CERT_NONE: ssl is not bound by an import of ssl here; not changed",
    ]);
    expect(notices("from ssl import CERT_NONE, wrap_socket\nwrap_socket(s, cert_reqs=CERT_NONE)\n")).toEqual([
      "cert_reqs=CERT_NONE: CERT_NONE is ssl.CERT_NONE imported by name (CERT_REQUIRED is not imported); not changed",
    ]);
    expect(notices("import ssl\ndef wrap(s, reqs):\n    return ssl.wrap_socket(s, cert_reqs=reqs)\n")).toEqual([
      "cert_reqs=reqs: comes from a variable; check that it is never CERT_NONE",
    ]);
    expect(notices("import ssl\nssl.wrap_socket(s, cert_reqs=ssl.CERT_REQUIRED)\n")).toEqual([]);
  });

  it("explains why an unverified context with arguments was left alone", () => {
    const out = runOn("import ssl\nctx = ssl._create_unverified_context(ssl.PROTOCOL_TLS_CLIENT)\n", [verifySsl]);
    expect(out.status).toBe("unchanged");
    expect(out.notices[0]!.message).toMatch(/arguments/);
  });

  it("skips Python 2 files with a reason and leaves them alone", () => {
    const out = runOn('import requests\nprint "x"\nrequests.get("https://x", verify=False)\n', [verifySsl]);
    expect(out).toMatchObject({ status: "skipped", reason: "Python 2 source (print statement at 2:1)" });
    const except = runOn("import requests\ntry:\n    requests.get(u, verify=False)\nexcept IOError, e:\n    pass\n", [verifySsl]);
    expect(except.status).toBe("skipped");
    expect(except.reason).toMatch(/except X, e/);
  });

  it("leaves test files alone unless --include-tests, and says so", () => {
    const src = 'import requests\nrequests.get("https://localhost:8443", verify=False)\n';
    const skipped = runOn(src, [verifySsl], "tests/test_api.py", contextFor("tests/test_api.py"));
    expect(skipped.status).toBe("unchanged");
    expect(skipped.notices[0]!.message).toMatch(/test file: 1 site/);
    const included = runOn(src, [verifySsl], "tests/test_api.py", contextFor("tests/test_api.py", FIXTURES, {}, true));
    expect(included.status).toBe("changed");
  });

  it("every change carries the note about private CAs", () => {
    const out = runOn('import requests\nrequests.get("https://x", verify=False)\n', [verifySsl]);
    expect(out.changes[0]!.note).toMatch(/REQUESTS_CA_BUNDLE/);
    expect(out.changes[0]!.safety).toBe("review");
  });

  const positives = fixtureCases().filter((k) => k.codemod === "verify-ssl" && k.output);

  it.each(positives.map((k) => [k.name, k] as const))("ruff S501/S323 find nothing in the output of %s", (_n, k) => {
    const decode = (p: string): string => {
      const bytes = fs.readFileSync(p);
      return /coding[:=]\s*latin-1/.test(bytes.toString("latin1")) ? bytes.toString("latin1") : bytes.toString("utf8").replace(/^\ufeff/, "");
    };
    expect(ruffFindings(decode(k.output!), RULES)).toEqual([]);
  });

  it("ruff finds the flaws in the inputs it knows about (the oracle is not blind)", () => {
    const before = positives.flatMap((k) => ruffFindings(fs.readFileSync(k.input, "utf8"), RULES));
    expect(before.length).toBeGreaterThanOrEqual(5);
  });

  it("every output compiles with python3", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-compile-"));
    for (const k of positives) fs.copyFileSync(k.output!, path.join(dir, `${k.name.replace(/-/g, "_")}.py`));
    const script = "import py_compile, sys\nfor f in sys.argv[1:]:\n    py_compile.compile(f, doraise=True)\n";
    execFileSync("python3", ["-c", script, ...fs.readdirSync(dir).map((f) => path.join(dir, f))], { stdio: "pipe" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
