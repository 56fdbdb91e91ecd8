/**
 * The local Python standard library as a test corpus: where it is, its files (site-packages
 * left out), and deterministic samples of it.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** sysconfig's `stdlib` path of the `python3` on PATH. */
export function stdlibDir(python = "python3"): string {
  return execFileSync(python, ["-I", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();
}

const THIRD_PARTY = new Set(["site-packages", "dist-packages"]);

/** Every `*.py` regular file below `root` (relative, `/`-separated, sorted), third-party directories left out. */
export function pythonFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!THIRD_PARTY.has(e.name)) walk(child);
      } else if (e.isFile() && e.name.endsWith(".py")) {
        out.push(child);
      }
    }
  };
  walk("");
  return out.sort();
}

/** Copy `files` (relative to `from`) to the same places below `to`. */
export function copyFiles(from: string, to: string, files: readonly string[]): void {
  for (const rel of files) {
    const dest = path.join(to, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(from, rel), dest);
  }
}

function rank(rel: string, salt: string): string {
  return crypto.createHash("sha256").update(`${salt}\0${rel}`).digest("hex");
}

/** Files the codemods have something to look at: bare or blind handlers, disabled TLS checks. */
const INTERESTING = /^[ \t]*except[ \t]*(?:(?:Exception|BaseException)[ \t]*)?:|verify[ \t]*=[ \t]*False|_create_unverified_context|CERT_NONE|check_hostname[ \t]*=[ \t]*False/m;

/** Files that exercise decoding and skipping: CRLF, BOM, PEP 263 cookies, Python 2, undecodable bytes. */
const EDGE_CASES = [
  "lib2to3/tests/data/bom.py",
  "lib2to3/tests/data/crlf.py",
  "lib2to3/tests/data/different_encoding.py",
  "lib2to3/tests/data/py2_test_grammar.py",
  "test/encoded_modules/module_iso_8859_1.py",
  "test/encoded_modules/module_koi8_r.py",
  "test/tokenizedata/bad_coding.py",
  "test/tokenizedata/bad_coding2.py",
  "test/tokenizedata/badsyntax_pep3120.py",
];

export interface SampleOptions {
  /** How many files in all (default 40). */
  readonly size?: number;
  /** How many of them the codemods have something to look at (default: half). */
  readonly interesting?: number;
  /** Files larger than this are left out (default 48 KiB), to keep a sample fast. */
  readonly maxBytes?: number;
  /** Changes the choice; the same salt always gives the same sample of the same library. */
  readonly salt?: string;
}

/**
 * A deterministic sample of the library at `root`: the edge cases that exist here, then files
 * with handlers or TLS settings the codemods look at, then any files — each group in an order
 * fixed by a hash of the path (so the sample does not cluster in one package).
 */
export function stdlibSample(root: string, options: SampleOptions = {}): string[] {
  const size = options.size ?? 40;
  const salt = options.salt ?? "pyremedy";
  const maxBytes = options.maxBytes ?? 48 * 1024;
  const all = pythonFiles(root).filter((rel) => fs.statSync(path.join(root, rel)).size <= maxBytes);
  const chosen = new Set(EDGE_CASES.filter((rel) => all.includes(rel)));
  const ordered = [...all].sort((a, b) => (rank(a, salt) < rank(b, salt) ? -1 : 1));
  const wantInteresting = options.interesting ?? Math.floor(size / 2);
  for (const rel of ordered) {
    if (chosen.size >= EDGE_CASES.length + wantInteresting || chosen.size >= size) break;
    if (!chosen.has(rel) && INTERESTING.test(fs.readFileSync(path.join(root, rel), "latin1"))) chosen.add(rel);
  }
  for (const rel of ordered) {
    if (chosen.size >= size) break;
    chosen.add(rel);
  }
  return [...chosen].sort();
}
