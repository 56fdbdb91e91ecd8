/**
 * The per-file pipeline, free of I/O: bytes in, outcome (and new bytes) out.
 * decode → parse once → codemods produce data → apply → safety net → encode.
 */
import type { Node } from "web-tree-sitter";
import type { Change, Codemod, Notice, ProjectContext } from "../codemod.js";
import { PythonFile } from "../python/file.js";
import { nodesByKeyword } from "../python/keywords.js";
import { hiddenDefinitions, includedRanges, indentationProblem, readsPlainly, type HiddenDefinition } from "../python/outline.js";
import { countSyntaxErrors, emptyBlocks, firstSyntaxError, parsePython, reparsePython, statementAt, type TextEdit, type Tree } from "../python/parser.js";
import { declareHidden } from "../python/scope.js";
import { codemods as registry } from "../../codemods/index.js";
import { MAX_NESTED_BRACKETS, strayByteOrderMark, tooManyNestedBrackets } from "../python/scan.js";
import { ignoreComments, lineSuppresses, mayHoldIgnores, unusedIgnores, usedKey, type IgnoreComment, type UnusedIgnore } from "../python/suppress.js";
import { applyEdits, OverlapError, selectCompatible } from "./apply.js";
import { decodeSource, encodeSource, loneCarriageReturn, type DecodedSource } from "./source.js";

export type FileStatus = "changed" | "unchanged" | "skipped" | "failed";

export interface FileOutcome {
  readonly status: FileStatus;
  readonly reason?: string;
  readonly changes: readonly Change[];
  readonly notices: readonly Notice[];
  /** Decoded text before and after, for diffs (only when changed). */
  readonly before?: string;
  readonly after?: string;
  /** The bytes to write (only when changed). */
  readonly output?: Uint8Array;
  /** `# pyremedy: ignore` comments that suppressed nothing (changed and unchanged files only). */
  readonly unusedIgnores?: readonly UnusedIgnore[];
}

export interface ProcessOptions {
  readonly codemods: readonly Codemod[];
  /** Files larger than this many bytes are skipped. */
  readonly maxBytes: number;
  /**
   * false: ignore the codemods' `mayApply` prefilters, parse every file and run every codemod on
   * it (the prefilter test compares both ways; the report must not change). Default true.
   */
  readonly prefilter?: boolean;
  /** Parse each fixed text from scratch instead of incrementally (the test compares both). */
  readonly freshReparse?: boolean;
  /** The ids of the codemods whose prefilter lets this file through, when screenSource has found them already. */
  readonly admitted?: readonly string[];
}

/** Passes before giving up on changes that keep colliding. */
const MAX_PASSES = 8;

/** Python 2 statements tree-sitter parses without errors, by the keyword they start with. */
const PY2_STATEMENTS: Record<string, ReadonlySet<string>> = {
  print: new Set(["print_statement"]),
  exec: new Set(["exec_statement"]),
  except: new Set(["except_clause"]),
};

/** As deep as a Python 2 construct is looked for (nesting this deep is no real code). */
const MAX_DEPTH = 64;

function depth(node: Node): number {
  let d = 0;
  for (let n = node.parent; n; n = n.parent) d++;
  return d;
}

/**
 * The first Python 2 construct that tree-sitter parses without errors, if any: a print or exec
 * statement, or `except X, e:` (two values). Found by keyword (keywords.ts), not by a Query
 * over the whole tree.
 */
function python2Construct(file: PythonFile): Node | undefined {
  let first: Node | undefined;
  for (const [keyword, types] of Object.entries(PY2_STATEMENTS)) {
    for (const node of nodesByKeyword(file, keyword, types)) {
      if (keyword === "except" && node.childrenForFieldName("value").length < 2) continue;
      if (depth(node) > MAX_DEPTH) continue;
      if (!first || node.startIndex < first.startIndex) first = node;
      break;
    }
  }
  return first;
}

function describeNode(node: Node): string {
  switch (node.type) {
    case "print_statement": return "print statement";
    case "exec_statement": return "exec statement";
    default: return "'except X, e:' clause";
  }
}

/** Lines whose comments may suppress a change: its own line and its statement's first line. */
function suppressionLines(file: PythonFile, change: Change): number[] {
  const statement = statementAt(file.root, file.lineStart(change.line) + change.column - 1);
  const first = file.position(statement.startIndex).line;
  return first === change.line ? [change.line] : [change.line, first];
}

interface PassResult {
  changes: Change[];
  notices: Notice[];
}

/** `used` collects usedKey(line, codemod) for every suppressed change (first pass: original lines). */
function runCodemods(file: PythonFile, ctx: ProjectContext, codemods: readonly Codemod[], used?: Set<string>): PassResult {
  const changes: Change[] = [];
  const notices: Notice[] = [];
  for (const codemod of codemods) {
    let result;
    try {
      result = codemod.produce(file, ctx);
    } catch (err) {
      throw new CodemodCrash(`${codemod.id} crashed: ${(err as Error).message ?? String(err)}`);
    }
    for (const change of result.changes) {
      const by = suppressionLines(file, change).filter((l) => lineSuppresses(file.lineText(l), codemod.id, codemod.peers));
      for (const l of used ? by : []) used!.add(usedKey(l, codemod.id));
      if (by.length === 0) changes.push(change);
    }
    if (result.notices) notices.push(...result.notices);
  }
  return { changes, notices };
}

class CodemodCrash extends Error {}

/** The codemods whose prefilter lets `text` through. */
function admittedBy(codemods: readonly Codemod[], text: string, relPath: string): Codemod[] {
  return codemods.filter((c) => c.mayApply(text, relPath));
}

/**
 * Parse `text` for `codemods`. When they all say where they act (Codemod.sites), the function and
 * class definitions none of them needs are left out of the parse (src/python/outline.ts); when
 * that tree shows a syntax error, or the text is not plain enough to outline, the whole text is
 * parsed. `previous`: the tree of the text before `edits` (an incremental parse); the places
 * the edits wrote are always parsed (the safety net judges them).
 */
function parseFor(
  text: string,
  codemods: readonly Codemod[],
  partial: boolean,
  previous?: {
    readonly tree: Tree;
    readonly text: string;
    readonly edits: readonly TextEdit[];
    /** The definitions the previous tree left out, when they may be left out again (see shifted). */
    readonly hidden?: readonly HiddenDefinition[];
  },
): { tree: Tree; hidden: readonly HiddenDefinition[] } {
  const whole = (): Tree => previous ? reparsePython(previous.tree, previous.text, previous.edits, text) : parsePython(text);
  const hidden = !partial || !codemods.every((c) => c.sites)
    ? undefined
    : (previous?.hidden && shifted(previous.hidden, previous.edits)) ??
      hiddenDefinitions(text, [...codemods.flatMap((c) => c.sites!(text)), ...(previous ? editedPlaces(previous.edits) : [])]);
  if (!hidden || hidden.length === 0) return { tree: whole(), hidden: [] };
  const ranges = includedRanges(text, hidden);
  // Incremental from a tree parsed whole, or partly: tree-sitter reparses what the new ranges add.
  const tree = previous ? reparsePython(previous.tree, previous.text, previous.edits, text, ranges) : parsePython(text, ranges);
  if (!tree.rootNode.hasError) {
    declareHidden(tree, hidden);
    return { tree, hidden };
  }
  tree.delete();
  return { tree: parsePython(text), hidden: [] };
}

/**
 * The codemods whose prefilter is asked about the text a pass produced: the pass's own, and
 * those its applied changes may have given work (Codemod.enables; undefined: any). A prefilter
 * that said no before the pass cannot say yes after it otherwise.
 */
function nextCandidates(all: readonly Codemod[], ran: readonly Codemod[], applied: readonly Change[]): readonly Codemod[] {
  const ids = new Set(ran.map((c) => c.id));
  for (const id of new Set(applied.map((c) => c.codemod))) {
    const enables = all.find((c) => c.id === id)?.enables;
    if (!enables) return all;
    for (const e of enables) ids.add(e);
  }
  return all.filter((c) => ids.has(c.id));
}

/**
 * The definitions left out of the text before `edits`, where they stand after them; undefined
 * when an edit reaches into one. A pass edits only parsed code, so they are unchanged, and the
 * next pass may leave them out again when its codemods are some of this pass's (their sites in
 * the new text are the old ones, moved, or in what the edits wrote): tree-sitter then reparses
 * only around the edits, with the same ranges, and the text is not outlined again.
 */
function shifted(hidden: readonly HiddenDefinition[], edits: readonly TextEdit[]): HiddenDefinition[] | undefined {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  if (hidden.some((h) => sorted.some((e) => e.start < h.end && e.end > h.start))) return undefined;
  return hidden.map((h) => {
    // Nothing inside it moves relative to its start (an insertion at its end goes after it).
    const by = shiftAt(sorted, h.start);
    const move = (r: { readonly start: number; readonly end: number }) => ({ start: r.start + by, end: r.end + by });
    // A method's scope is the index of its class keyword, which moves too.
    return { ...h, ...move(h), scope: h.scope === 0 ? 0 : h.scope + shiftAt(sorted, h.scope), imports: h.imports.map(move) };
  });
}

/** How far `edits` (sorted, disjoint) move the character at `index` (an insertion at `index` goes before it). */
function shiftAt(sorted: readonly TextEdit[], index: number): number {
  let shift = 0;
  for (const e of sorted) {
    if (e.end > index) break;
    shift += e.text.length - (e.end - e.start);
  }
  return shift;
}

/** Where each of `edits` (disjoint, on the old text) starts in the new text. */
function editedPlaces(edits: readonly TextEdit[]): number[] {
  let shift = 0;
  return [...edits].sort((a, b) => a.start - b.start).map((e) => {
    const at = e.start + shift;
    shift += e.text.length - (e.end - e.start);
    return at;
  });
}

/** 1-based line and column of `index`, as PythonFile.position counts them. */
function positionIn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return { line, column: index - (text.lastIndexOf("\n", index - 1) + 1) + 1 };
}

/**
 * A syntax error Python reports where tree-sitter-python parses without one, found lexically
 * before the parse (the reason), if any: too many brackets open at once (deep enough that walking
 * the tree would cost the square of its depth), a byte order mark in code, or broken indentation.
 */
function lexicalSyntaxError(text: string): string | undefined {
  const at = (index: number, what: string): string => {
    const { line, column } = positionIn(text, index);
    return `syntax error at ${line}:${column} (${what})`;
  };
  // The outline reads no text with too many (and reads the rest once, for all these checks and the parse).
  const deep = readsPlainly(text) ? undefined : tooManyNestedBrackets(text);
  if (deep !== undefined) return at(deep, `too many nested parentheses: Python allows ${MAX_NESTED_BRACKETS} open brackets`);
  const mark = strayByteOrderMark(text);
  if (mark !== undefined) return at(mark, "invalid non-printable character U+FEFF");
  const indentation = indentationProblem(text);
  return indentation && at(indentation.index, indentation.message);
}

function syntaxErrorReason(file: PythonFile): string | undefined {
  const err = firstSyntaxError(file.root);
  if (!err) return undefined;
  const { line, column } = file.position(err.startIndex);
  return `syntax error at ${line}:${column}`;
}

/** What the pipeline knows before parsing: the file's outcome already, or its text and who may change it. */
type Prepared =
  | { readonly outcome: FileOutcome }
  | { readonly source: DecodedSource; readonly admitted: readonly Codemod[]; readonly ignores: boolean };

function prepare(bytes: Uint8Array, ctx: ProjectContext, options: ProcessOptions): Prepared {
  const none = { changes: [], notices: [] };
  if (bytes.length > options.maxBytes) {
    return { outcome: { status: "skipped", reason: `file too large (${bytes.length} bytes > ${options.maxBytes})`, ...none } };
  }
  const decoded = decodeSource(bytes);
  if (!decoded.ok) return { outcome: { status: "skipped", reason: decoded.reason, ...none } };
  const source = decoded.source;
  // Whether a file with a syntax error (or a lone CR) is reported as skipped (a codemod may have
  // work there) or as unchanged follows the prefilters even when they are off, so that switching
  // them off changes no report: it only runs every codemod on every file that parses.
  const admitted = options.admitted
    ? options.codemods.filter((c) => options.admitted!.includes(c.id))
    : admittedBy(options.codemods, source.text, ctx.relPath);
  const mayChange = admitted.length > 0 || options.prefilter === false;
  // A file nothing may change is parsed only to judge its `# pyremedy: ignore` comments.
  const ignores = mayHoldIgnores(source.text);
  if (!mayChange && !ignores) return { outcome: { status: "unchanged", ...none } };
  const loneCr = loneCarriageReturn(source.text);
  if (loneCr !== undefined) {
    const line = source.text.slice(0, loneCr).split(/\r\n|\r|\n/).length;
    return {
      outcome: admitted.length > 0
        ? { status: "skipped", reason: `lone CR line ending on line ${line} (Python reads a line break there, the parser does not)`, ...none }
        : { status: "unchanged", ...none },
    };
  }
  return { source, admitted, ignores };
}

/**
 * The part of the pipeline that needs no parser: the file's outcome when deciding it takes no
 * parse (too large, undecodable, nothing may change it), else the ids of the codemods whose
 * prefilter admits it (for processSource's `admitted`). A thread handing out files runs this
 * first and passes on only the files that must be parsed.
 */
export function screenSource(bytes: Uint8Array, ctx: ProjectContext, options: ProcessOptions): { outcome: FileOutcome } | { admitted: string[] } {
  const prepared = prepare(bytes, ctx, options);
  return "outcome" in prepared ? prepared : { admitted: prepared.admitted.map((c) => c.id) };
}

export function processSource(bytes: Uint8Array, ctx: ProjectContext, options: ProcessOptions): FileOutcome {
  const none = { changes: [], notices: [] };
  const prepared = prepare(bytes, ctx, options);
  if ("outcome" in prepared) return prepared.outcome;
  const { source, admitted, ignores } = prepared;
  const lexical = lexicalSyntaxError(source.text);
  if (lexical) return admitted.length > 0 ? { status: "skipped", reason: lexical, ...none } : { status: "unchanged", ...none };

  // A partial parse where every codemod admitted says where it acts, and no `# pyremedy: ignore`
  // comment needs judging (those are read from the whole tree).
  const partial = options.prefilter !== false && !options.freshReparse && !ignores;
  const firstPass = options.prefilter === false ? options.codemods : admitted;
  const parsed = parseFor(source.text, firstPass, partial);
  let file = new PythonFile(ctx.relPath, source.text, parsed.tree, source.eol, parsed.hidden);
  try {
    const syntax = syntaxErrorReason(file);
    if (syntax) return admitted.length > 0 ? { status: "skipped", reason: syntax, ...none } : { status: "unchanged", ...none };
    // Found before the fix moves any line; judged after it, against what the first pass suppressed.
    const comments = ignores ? ignoreComments(file) : [];
    const used = new Set<string>();
    const outcome = fixpoint(file, source, ctx, options, (next) => (file = next), used, firstPass, partial);
    return comments.length ? withUnusedIgnores(outcome, comments, used, options.codemods) : outcome;
  } catch (err) {
    const reason = err instanceof CodemodCrash || err instanceof OverlapError ? err.message : `internal error: ${(err as Error).message}`;
    return { status: "failed", reason, ...none };
  } finally {
    file.tree.delete();
  }
}

/**
 * Apply all compatible changes; re-run for the deferred ones; when a pass deferred nothing,
 * run every codemod once more on the result: anything it still wants to change means the
 * fix does not converge, and the file is refused (Ruff's "Failed to converge").
 */
function fixpoint(
  first: PythonFile,
  source: DecodedSource,
  ctx: ProjectContext,
  options: ProcessOptions,
  replace: (file: PythonFile) => void,
  used: Set<string>,
  /** The codemods to run on the first pass (the prefilters have judged the text already). */
  firstPass: readonly Codemod[],
  /** Whether fixed texts may be parsed partly, as the first was (parseFor). */
  partial: boolean,
): FileOutcome {
  let file = first;
  const applied: Change[] = [];
  let notices: Notice[] | undefined;
  let settled = false;
  /** The last pass: the text it started from and the changes it applied. */
  let last: { readonly text: string; readonly accepted: readonly Change[] } = { text: first.text, accepted: [] };
  let codemods = firstPass;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const result = runCodemods(file, ctx, codemods, pass === 0 ? used : undefined);
    if (pass === 0 && (result.changes.length > 0 || result.notices.length > 0)) {
      // Checked only where a codemod found something: the query walks the whole tree.
      const py2 = python2Construct(file);
      if (py2) {
        const { line, column } = file.position(py2.startIndex);
        return { status: "skipped", reason: `Python 2 source (${describeNode(py2)} at ${line}:${column})`, changes: [], notices: [] };
      }
    }
    notices ??= result.notices;
    if (result.changes.length === 0) {
      if (applied.length === 0) return { status: "unchanged", changes: [], notices };
      return finish(first.text, file.text, source, applied, notices);
    }
    // A codemod that would change its own output again is not idempotent. One that changes the
    // text only because another one did (secrets-to-env adds `import os`, and verify-ssl now
    // resolves the `os.environ` it looks for) is a cascade, and gets a pass of its own.
    const again = settled ? result.changes.find((c) => changesItsOwnOutput(c.codemod, last, options.codemods, ctx, source.eol)) : undefined;
    if (again) return failed(`fix refused: not idempotent (${again.codemod} would change line ${again.line} again)`, notices);
    const startedFrom = file.text;
    const { accepted, deferred } = selectCompatible(result.changes);
    const edits = accepted.flatMap((c) => c.edits);
    const text = applyEdits(file.text, edits);
    // The next pass's codemods, for which the new text is parsed.
    const ran = codemods;
    codemods = options.prefilter === false ? options.codemods : admittedBy(nextCandidates(options.codemods, codemods, accepted), text, file.relPath);
    // (A partial parse showing an error is redone whole: only a whole parse judges the fix.)
    // The definitions this pass's tree left out stay out while no codemod joins the next pass.
    const same = codemods.every((c) => ran.includes(c));
    const previous = { tree: file.tree, text: file.text, edits, ...(same ? { hidden: file.hidden } : {}) };
    // A removed line may leave a block with no statement, which tree-sitter parses without an error.
    const removesLines = edits.some((e) => /[\r\n]/.test(file.text.slice(e.start, e.end)));
    const emptyBefore = removesLines ? emptyBlocks(file.root).length : 0;
    const parsed = options.freshReparse ? { tree: parsePython(text), hidden: [] } : parseFor(text, codemods, partial, previous);
    const reparsed = new PythonFile(ctx.relPath, text, parsed.tree, source.eol, parsed.hidden);
    replace(reparsed);
    file.tree.delete();
    file = reparsed;
    applied.push(...accepted);
    if (countSyntaxErrors(file.root) > 0) {
      return failed(`fix refused: the result has a ${syntaxErrorReason(file)}`, notices);
    }
    const empty = removesLines ? emptyBlocks(file.root) : [];
    if (empty.length > emptyBefore) {
      return failed(`fix refused: the result has a block with no statement (line ${file.position(empty[0]!.startIndex).line})`, notices);
    }
    const indentation = indentationProblem(text);
    if (indentation) {
      return failed(`fix refused: the result has an indentation error at line ${file.position(indentation.index).line} (${indentation.message})`, notices);
    }
    settled = deferred.length === 0;
    last = { text: startedFrom, accepted };
  }
  return failed(`fix refused: did not converge after ${MAX_PASSES} passes`, notices ?? []);
}

/**
 * Would codemod `id` change its own output again? Its changes of the last pass alone, applied to
 * the text that pass started from, and the codemod run once more on the result.
 */
function changesItsOwnOutput(id: string, last: { readonly text: string; readonly accepted: readonly Change[] }, codemods: readonly Codemod[], ctx: ProjectContext, eol: DecodedSource["eol"]): boolean {
  const own = last.accepted.filter((c) => c.codemod === id);
  const codemod = codemods.find((c) => c.id === id);
  if (own.length === 0 || !codemod) return false;
  const text = applyEdits(last.text, own.flatMap((c) => c.edits));
  const file = new PythonFile(ctx.relPath, text, parsePython(text), eol);
  try {
    return runCodemods(file, ctx, [codemod]).changes.length > 0;
  } finally {
    file.tree.delete();
  }
}

function withUnusedIgnores(outcome: FileOutcome, comments: readonly IgnoreComment[], used: ReadonlySet<string>, codemods: readonly Codemod[]): FileOutcome {
  if (outcome.status !== "changed" && outcome.status !== "unchanged") return outcome;
  const unused = unusedIgnores(comments, used, codemods.map((c) => c.id), registry.map((c) => c.id));
  return unused.length ? { ...outcome, unusedIgnores: unused } : outcome;
}

function failed(reason: string, notices: Notice[]): FileOutcome {
  return { status: "failed", reason, changes: [], notices };
}

function finish(before: string, after: string, source: DecodedSource, changes: Change[], notices: Notice[]): FileOutcome {
  let output: Uint8Array;
  try {
    output = encodeSource(after, source);
  } catch (err) {
    return failed(`fix refused: ${(err as Error).message}`, notices);
  }
  return { status: "changed", changes, notices, before, after, output };
}
