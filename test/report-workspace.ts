/**
 * A batch workspace for the report tests: the three sample repositories plus `enc`, a repo of
 * awkward files (CRLF, latin-1 with a coding cookie, UTF-8 BOM, non-ASCII before the edit, no
 * final newline, a space in the name) and a planted credential built at test time.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FIXTURES } from "./helpers.js";

export const REPOS = ["ticket-bot", "geodata", "billing-service", "enc"];

/** A credential-shaped value that never sits on disk in the repository. */
export const PLANTED = ["pw", "Zq7x", "Lm4k", "Rt9s", "Vb2n", "Hc8w"].join("-");

export function reportWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-reports-"));
  fs.cpSync(path.join(FIXTURES, "sample-repos"), ws, { recursive: true });
  const enc = path.join(ws, "enc");
  fs.mkdirSync(path.join(enc, "pkg"), { recursive: true });
  for (const c of ["crlf-line-endings", "latin1-coding-cookie", "utf8-bom-kept", "non-ascii-before-edit"]) {
    fs.copyFileSync(path.join(FIXTURES, "verify-ssl", `${c}.input.py`), path.join(enc, "pkg", `${c.replace(/-/g, "_")}.py`));
  }
  fs.writeFileSync(path.join(enc, "pkg", "no final newline.py"), "import requests\nrequests.get(u, verify=False)");
  fs.writeFileSync(path.join(enc, "settings.py"), `import requests\n\nDB_PASSWORD = "${PLANTED}"\nrequests.get("https://example.org", verify=False)\n`);
  return ws;
}

/** Every file under `dir` (but .git), relative path → bytes. */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === ".git") continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
