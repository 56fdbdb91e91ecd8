/**
 * The mutation fuzzer: damaged copies of the fixtures, the sample repositories and a sample of
 * the standard library go through the per-file pipeline with every registered codemod, and
 * every outcome must hold the properties of `fix --write`:
 *
 *   - it never crashes (no exception, no `internal error`, no codemod crash);
 *   - a skipped file has a reason; a refused fix (the safety net at work) is counted apart;
 *   - a changed file decodes in its own encoding and BOM, has no more syntax errors than the
 *     input (tree-sitter, and python3 for inputs that compile), keeps a file's only line ending,
 *     and a second pass changes nothing (idempotent);
 *   - written through runFix, a file on disk is either its original bytes or exactly the
 *     reported output, with no temp file left.
 *
 * Each case is a function of (seed, case number), so `--seed S --case N` replays one.
 * Used by test/fuzz/fuzz.test.ts (a bounded run) and `npm run fuzz` (scripts/fuzz.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { codemods as registry } from "../../codemods/index.js";
import type { Codemod, ProjectContext } from "../../src/codemod.js";
import { projectContext, projectFs } from "../../src/engine/context.js";
import { processSource, type FileOutcome } from "../../src/engine/process.js";
import { runFix } from "../../src/engine/run.js";
import { decodeSource } from "../../src/engine/source.js";
import { countSyntaxErrors, initPython, parsePython } from "../../src/python/parser.js";
import { stdlibDir, stdlibSample } from "../../scripts/stdlib.js";
import { compileAll, PACKAGE_ROOT } from "../../scripts/write-check.js";
import { fixtureProjectFs } from "../helpers.js";
import { mutate, Rng } from "./mutators.js";

export interface CorpusEntry {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly ctx: ProjectContext;
}

function filesBelow(dir: string, accept: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesBelow(p, accept));
    else if (accept(e.name)) out.push(p);
  }
  return out;
}

const posix = (p: string): string => p.split(path.sep).join("/");

export interface CorpusOptions {
  /** Standard library files to add (0: none). */
  readonly stdlibFiles?: number;
}

/** Every fixture input, every sample-repo file, and a sample of the standard library. */
export function loadCorpus(options: CorpusOptions = {}): CorpusEntry[] {
  const fixtures = path.join(PACKAGE_ROOT, "fixtures");
  const entries: CorpusEntry[] = [];
  for (const id of fs.readdirSync(fixtures).sort()) {
    const dir = path.join(fixtures, id);
    if (!fs.statSync(dir).isDirectory()) continue;
    if (id === "sample-repos") {
      for (const repo of fs.readdirSync(dir).sort()) {
        const root = path.join(dir, repo);
        const pfs = projectFs(root);
        for (const file of filesBelow(root, (n) => n.endsWith(".py"))) {
          const rel = posix(path.relative(root, file));
          entries.push({ name: `sample-repos/${repo}/${rel}`, bytes: fs.readFileSync(file), ctx: projectContext(root, rel, pfs) });
        }
      }
      continue;
    }
    const flat = projectFs(fixtures);
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) {
        const pfs = fixtureProjectFs(full);
        for (const input of filesBelow(full, (n) => n.endsWith(".input.py"))) {
          const rel = posix(path.relative(full, input)).replace(/\.input\.py$/, ".py");
          entries.push({ name: `${id}/${name}/${rel}`, bytes: fs.readFileSync(input), ctx: projectContext(full, rel, pfs) });
        }
      } else if (name.endsWith(".input.py")) {
        const rel = posix(path.relative(fixtures, full));
        entries.push({ name: rel, bytes: fs.readFileSync(full), ctx: projectContext(fixtures, rel, flat) });
      }
    }
  }
  const wanted = options.stdlibFiles ?? 0;
  if (wanted > 0) {
    const root = stdlibDir();
    const pfs = projectFs(root);
    for (const rel of stdlibSample(root, { size: wanted, maxBytes: 24 * 1024, salt: "fuzz" })) {
      entries.push({ name: `stdlib/${rel}`, bytes: fs.readFileSync(path.join(root, rel)), ctx: projectContext(root, rel, pfs) });
    }
  }
  return entries;
}

export type ViolationKind = "crash" | "failed" | "no-reason" | "undecodable-output" | "encoding-changed" | "more-syntax-errors" | "line-endings" | "not-idempotent" | "undescribed" | "no-longer-compiles" | "skipped-but-compiles" | "write-mismatch" | "temp-left" | "shortcut-differs";

/** Skip reasons pyremedy decides lexically, where tree-sitter-python sees no error: python3 must refuse such a file too. */
const LEXICAL_SYNTAX_ERROR = /^syntax error at \d+:\d+ \((?:unexpected indent|unindent does not match any outer indentation level|expected an indented block|too many nested parentheses: .*|invalid non-printable character U\+FEFF)\)$/;

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
  readonly caseNo: number;
  readonly entry: string;
  readonly mutations: readonly string[];
  /** Where the input was saved (and its shrunk form), for replay. */
  readonly saved?: string;
  readonly minimal?: string;
}

export interface FuzzOptions {
  readonly seed: number;
  /** Stop after this many cases... */
  readonly cases?: number;
  /** ...or after this many seconds, whichever comes first. */
  readonly seconds?: number;
  /** Only this case (replay). */
  readonly only?: number;
  readonly codemods?: readonly Codemod[];
  readonly corpus: readonly CorpusEntry[];
  /** Write every this many cases through runFix in a temp dir (0: never). */
  readonly writeEvery?: number;
  /** Check python3 compiles the changed outputs of inputs that compiled (default true). */
  readonly compile?: boolean;
  /** Where failing inputs are saved (default: a temp dir). */
  readonly saveDir?: string;
  readonly maxBytes?: number;
  /** Called before each case runs (progress, or finding the case that hangs). */
  readonly onCase?: (caseNo: number, entry: string, mutations: readonly string[], bytes: number) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly ms: number;
  readonly statuses: Record<string, number>;
  /** Fixes the safety net refused, by reason (not a lost file, but a codemod producing something it should not). */
  readonly refusals: Record<string, number>;
  readonly refusalCases: readonly { readonly caseNo: number; readonly entry: string; readonly reason: string; readonly saved?: string }[];
  readonly skipReasons: Record<string, number>;
  readonly violations: readonly Violation[];
  readonly slowest: { readonly ms: number; readonly caseNo: number; readonly entry: string; readonly bytes: number };
  readonly written: number;
  readonly compiled: number;
}

function eolKinds(bytes: Uint8Array): Set<string> {
  const kinds = new Set<string>();
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d) {
      if (bytes[i + 1] === 0x0a) { kinds.add("crlf"); i++; } else kinds.add("cr");
    } else if (bytes[i] === 0x0a) kinds.add("lf");
  }
  return kinds;
}

function syntaxErrors(text: string): number {
  const tree = parsePython(text);
  try {
    return countSyntaxErrors(tree.rootNode);
  } finally {
    tree.delete();
  }
}

interface Finding {
  readonly kind: ViolationKind;
  readonly detail: string;
}

/** The properties of one outcome; `again` re-runs the pipeline on bytes. */
export function judge(bytes: Uint8Array, out: FileOutcome, again: (b: Uint8Array) => FileOutcome): Finding | undefined {
  if (out.status === "failed") {
    if (/^fix refused: /.test(out.reason ?? "")) return undefined;
    return { kind: "failed", detail: out.reason ?? "(no reason)" };
  }
  if (out.status === "skipped") return out.reason ? undefined : { kind: "no-reason", detail: "skipped without a reason" };
  if (out.status !== "changed") return undefined;
  const output = out.output;
  if (!output) return { kind: "undecodable-output", detail: "changed without output bytes" };
  const before = decodeSource(bytes);
  const after = decodeSource(output);
  if (!after.ok) return { kind: "undecodable-output", detail: after.reason };
  if (before.ok && (before.source.encoding !== after.source.encoding || before.source.bom !== after.source.bom)) {
    return { kind: "encoding-changed", detail: `${before.source.encoding}/${before.source.bom} -> ${after.source.encoding}/${after.source.bom}` };
  }
  const errorsBefore = before.ok ? syntaxErrors(before.source.text) : 0;
  const errorsAfter = syntaxErrors(after.source.text);
  if (errorsAfter > errorsBefore) return { kind: "more-syntax-errors", detail: `${errorsBefore} -> ${errorsAfter}` };
  const eolsBefore = eolKinds(bytes);
  const eolsAfter = eolKinds(output);
  if (eolsBefore.size === 1 && [...eolsAfter].some((k) => !eolsBefore.has(k))) {
    return { kind: "line-endings", detail: `${[...eolsBefore]} -> ${[...eolsAfter].join("+")}` };
  }
  const undescribed = out.changes.find((c) => !c.description.trim());
  if (undescribed) return { kind: "undescribed", detail: `${undescribed.codemod}@${undescribed.line}` };
  const second = again(output);
  if (second.status !== "unchanged") {
    const first = second.changes[0];
    return { kind: "not-idempotent", detail: `second pass: ${second.status}${second.reason ? ` (${second.reason})` : ""}${first ? `, ${first.codemod}@${first.line}` : ""}` };
  }
  return undefined;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-80);
}

/** Remove line chunks while `fails` still holds (delta debugging, time-boxed). */
export function shrink(bytes: Uint8Array, fails: (b: Uint8Array) => boolean, budgetMs = 3000): Uint8Array {
  const started = Date.now();
  const split = (b: Uint8Array): Buffer[] => {
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) { parts.push(Buffer.from(b.subarray(start, i + 1))); start = i + 1; }
    if (start < b.length) parts.push(Buffer.from(b.subarray(start)));
    return parts;
  };
  let lines = split(bytes);
  for (let chunk = Math.max(1, lines.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let at = 0; at < lines.length && Date.now() - started < budgetMs; ) {
      const candidate = [...lines.slice(0, at), ...lines.slice(at + chunk)];
      if (candidate.length > 0 && fails(Buffer.concat(candidate))) lines = candidate;
      else at += chunk;
    }
  }
  return Buffer.concat(lines);
}

/** Run the fuzzer. Never throws for a property violation: they are in the report. */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  await initPython();
  const codemods = options.codemods ?? registry;
  const maxBytes = options.maxBytes ?? 2 * 1024 * 1024;
  const corpus = options.corpus;
  if (corpus.length === 0) throw new Error("empty corpus");
  const saveDir = options.saveDir ?? path.join(os.tmpdir(), `pyremedy-fuzz-${options.seed}`);
  const deadline = options.seconds !== undefined ? Date.now() + options.seconds * 1000 : Infinity;
  const limit = options.only !== undefined ? 1 : options.cases ?? (options.seconds !== undefined ? Infinity : 200);
  const writeEvery = options.writeEvery ?? 50;

  const statuses: Record<string, number> = {};
  const refusals: Record<string, number> = {};
  const refusalCases: { caseNo: number; entry: string; reason: string; saved?: string }[] = [];
  const skipReasons: Record<string, number> = {};
  const violations: Violation[] = [];
  let slowest = { ms: -1, caseNo: -1, entry: "", bytes: 0 };
  const toCompile: { caseNo: number; entry: string; mutations: readonly string[]; input: Uint8Array; output?: Uint8Array }[] = [];
  let batch: { caseNo: number; entry: CorpusEntry; bytes: Uint8Array; mutations: readonly string[] }[] = [];
  let written = 0;
  let compiled = 0;
  const started = Date.now();

  const save = (caseNo: number, entry: string, bytes: Uint8Array, suffix = ""): string => {
    fs.mkdirSync(saveDir, { recursive: true });
    const file = path.join(saveDir, `case-${caseNo}-${safeName(entry)}${suffix}.py`);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const run = (bytes: Uint8Array, ctx: ProjectContext): FileOutcome => processSource(bytes, ctx, { codemods, maxBytes });
  const check = (bytes: Uint8Array, ctx: ProjectContext): Finding | undefined => {
    let out: FileOutcome;
    try {
      out = run(bytes, ctx);
    } catch (err) {
      return { kind: "crash", detail: (err as Error).stack?.split("\n").slice(0, 3).join(" | ") ?? String(err) };
    }
    try {
      return judge(bytes, out, (b) => run(b, ctx)) ?? sameWithoutShortcuts(bytes, ctx, out);
    } catch (err) {
      return { kind: "crash", detail: `while judging: ${(err as Error).message}` };
    }
  };
  // The prefilters and partial parsing (on by default) against every codemod on a whole parse:
  // the outcome must be the same, but where only the whole parse sees a syntax error (a
  // definition partial parsing left out; README "Performance").
  const sameWithoutShortcuts = (bytes: Uint8Array, ctx: ProjectContext, out: FileOutcome): Finding | undefined => {
    const whole = processSource(bytes, ctx, { codemods, maxBytes, prefilter: false });
    const shown = (o: FileOutcome): string => JSON.stringify({ ...o, output: undefined });
    if (shown(whole) === shown(out)) return undefined;
    if (whole.status === "skipped" && /^syntax error/.test(whole.reason ?? "") && out.status !== "skipped") return undefined;
    return { kind: "shortcut-differs", detail: `with the shortcuts ${out.status}${out.reason ? ` (${out.reason})` : ""}, without ${whole.status}${whole.reason ? ` (${whole.reason})` : ""}` };
  };
  const report = (caseNo: number, entry: CorpusEntry, bytes: Uint8Array, mutations: readonly string[], finding: Finding): void => {
    const saved = save(caseNo, entry.name, bytes);
    const small = shrink(bytes, (b) => check(b, entry.ctx)?.kind === finding.kind);
    const minimal = small.length < bytes.length ? save(caseNo, entry.name, small, ".min") : undefined;
    violations.push({ ...finding, caseNo, entry: entry.name, mutations, saved, ...(minimal ? { minimal } : {}) });
  };

  const flushWrites = async (): Promise<void> => {
    if (batch.length === 0) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-fuzz-write-"));
    try {
      const placed = batch.map((c) => {
        const rel = `case-${c.caseNo}/${c.entry.ctx.relPath}`;
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), c.bytes);
        return { ...c, rel };
      });
      const result = await runFix({ paths: [dir], codemods, write: true, jobs: 1, maxBytes });
      const byPath = new Map(result.files.map((f) => [f.path, f]));
      for (const c of placed) {
        const f = byPath.get(c.rel);
        const disk = fs.readFileSync(path.join(dir, c.rel));
        const expected = f?.status === "changed" && f.written ? f.source!.bytesAfter : c.bytes;
        if (Buffer.compare(disk, Buffer.from(expected)) !== 0) {
          violations.push({ kind: "write-mismatch", detail: `${f?.status ?? "unreported"}${f?.reason ? ` (${f.reason})` : ""}: disk holds neither the original nor the reported output`, caseNo: c.caseNo, entry: c.entry.name, mutations: c.mutations, saved: save(c.caseNo, c.entry.name, c.bytes) });
        }
        if (f?.status === "failed" && !/^fix refused: /.test(f.reason ?? "")) {
          violations.push({ kind: "failed", detail: `through runFix: ${f.reason}`, caseNo: c.caseNo, entry: c.entry.name, mutations: c.mutations, saved: save(c.caseNo, c.entry.name, c.bytes) });
        }
        written++;
      }
      const leftovers = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.endsWith(".tmp") && p.includes(".pyremedy-"));
      for (const t of leftovers) violations.push({ kind: "temp-left", detail: t, caseNo: -1, entry: t, mutations: [] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      batch = [];
    }
  };

  const flushCompiles = (): void => {
    if (options.compile === false || toCompile.length === 0) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-fuzz-compile-"));
    try {
      const files = toCompile.flatMap((c, i) => {
        const a = path.join(dir, `${i}-before.py`);
        fs.writeFileSync(a, c.input);
        if (!c.output) return [a];
        const b = path.join(dir, `${i}-after.py`);
        fs.writeFileSync(b, c.output);
        return [a, b];
      });
      const result = compileAll(files);
      toCompile.forEach((c, i) => {
        const before = result.get(path.join(dir, `${i}-before.py`));
        if (!c.output) {
          if (before === null) violations.push({ kind: "skipped-but-compiles", detail: "python3 compiles a file skipped for a syntax error", caseNo: c.caseNo, entry: c.entry, mutations: c.mutations, saved: save(c.caseNo, c.entry, c.input) });
          return;
        }
        compiled++;
        const after = result.get(path.join(dir, `${i}-after.py`));
        if (before === null && after !== null) {
          violations.push({ kind: "no-longer-compiles", detail: after ?? "", caseNo: c.caseNo, entry: c.entry, mutations: c.mutations, saved: save(c.caseNo, c.entry, c.input) });
        }
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      toCompile.length = 0;
    }
  };

  let cases = 0;
  for (let caseNo = options.only ?? 0; cases < limit && Date.now() < deadline; caseNo++) {
    cases++;
    const rng = new Rng((options.seed * 0x9e3779b1 + caseNo * 0x85ebca6b) >>> 0);
    const entry = rng.pick(corpus);
    const donor = rng.pick(corpus);
    const { bytes, applied } = mutate(rng, entry.bytes, donor.bytes);
    options.onCase?.(caseNo, entry.name, applied, bytes.length);
    const t0 = Date.now();
    let out: FileOutcome | undefined;
    let finding: Finding | undefined;
    try {
      out = run(bytes, entry.ctx);
    } catch (err) {
      finding = { kind: "crash", detail: (err as Error).stack?.split("\n").slice(0, 3).join(" | ") ?? String(err) };
    }
    const ms = Date.now() - t0;
    if (ms > slowest.ms) slowest = { ms, caseNo, entry: entry.name, bytes: bytes.length };
    if (out) {
      statuses[out.status] = (statuses[out.status] ?? 0) + 1;
      if (out.status === "skipped") {
        const reason = (out.reason ?? "").replace(/\d+(:\d+)?/g, "N").replace(/'[^']*'/g, "'…'");
        skipReasons[reason] = (skipReasons[reason] ?? 0) + 1;
      }
      if (out.status === "failed" && /^fix refused: /.test(out.reason ?? "")) {
        const reason = out.reason!.replace(/\d+(:\d+)?/g, "N");
        refusals[reason] = (refusals[reason] ?? 0) + 1;
        refusalCases.push({ caseNo, entry: entry.name, reason: out.reason!, saved: save(caseNo, entry.name, bytes, ".refused") });
      }
      try {
        finding = judge(bytes, out, (b) => run(b, entry.ctx));
      } catch (err) {
        finding = { kind: "crash", detail: `while judging: ${(err as Error).message}` };
      }
      if (out.status === "changed" && out.output) toCompile.push({ caseNo, entry: entry.name, mutations: applied, input: bytes, output: out.output });
      // (No output: the input alone is compiled, and must not compile.)
      if (out.status === "skipped" && LEXICAL_SYNTAX_ERROR.test(out.reason ?? "")) toCompile.push({ caseNo, entry: entry.name, mutations: applied, input: bytes });
    }
    if (finding) report(caseNo, entry, bytes, applied, finding);
    if (writeEvery > 0) {
      batch.push({ caseNo, entry, bytes, mutations: applied });
      if (batch.length >= writeEvery) await flushWrites();
    }
    if (toCompile.length >= 200) flushCompiles();
  }
  if (writeEvery > 0) await flushWrites();
  flushCompiles();
  return { seed: options.seed, cases, ms: Date.now() - started, statuses, refusals, refusalCases, skipReasons, violations, slowest, written, compiled };
}

/** The report as lines for a person. */
export function describeReport(r: FuzzReport): string[] {
  const lines = [
    `seed ${r.seed}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s; ${JSON.stringify(r.statuses)}; ${r.written} written through runFix, ${r.compiled} outputs compiled with python3`,
    `slowest case: ${r.slowest.ms} ms (case ${r.slowest.caseNo}, ${r.slowest.entry}, ${r.slowest.bytes} bytes)`,
  ];
  for (const [reason, n] of Object.entries(r.skipReasons).sort((a, b) => b[1] - a[1])) lines.push(`  skipped ${n}× ${reason}`);
  for (const [reason, n] of Object.entries(r.refusals)) lines.push(`  refused ${n}× ${reason}`);
  for (const c of r.refusalCases.slice(0, 20)) lines.push(`    case ${c.caseNo} (${c.entry}): ${c.reason}${c.saved ? ` — ${c.saved}` : ""}`);
  if (r.violations.length === 0) lines.push("no property violated");
  for (const v of r.violations) {
    lines.push(`VIOLATION ${v.kind}: ${v.detail}`);
    lines.push(`  case ${v.caseNo} of seed ${r.seed} (${v.entry}; ${v.mutations.join(", ")})${v.saved ? `: ${v.saved}` : ""}${v.minimal ? `, shrunk: ${v.minimal}` : ""}`);
  }
  return lines;
}
