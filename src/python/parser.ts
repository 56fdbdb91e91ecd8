/**
 * One tree-sitter runtime per process (or worker): the WASM module, the Python language,
 * one reused Parser and compiled Queries. Call `initPython()` once before parsing.
 */
import { createRequire } from "node:module";
import { Edit, Language, Parser, Query, type Node, type QueryMatch, type Tree } from "web-tree-sitter";

const require = createRequire(import.meta.url);

let language: Language | undefined;
let parser: Parser | undefined;
const queries = new Map<string, Query>();

export async function initPython(): Promise<void> {
  if (language) return;
  await Parser.init();
  const wasm = require.resolve("tree-sitter-python/tree-sitter-python.wasm");
  language = await Language.load(wasm);
  parser = new Parser();
  parser.setLanguage(language);
}

function ready(): { language: Language; parser: Parser } {
  if (!language || !parser) throw new Error("initPython() must be awaited before parsing");
  return { language, parser };
}

/** A part of the text to parse (tree-sitter's included range; UTF-16 indices, rows count "\n"). */
export interface TextRange {
  readonly startIndex: number;
  readonly endIndex: number;
  readonly startPosition: { readonly row: number; readonly column: number };
  readonly endPosition: { readonly row: number; readonly column: number };
}

/**
 * The input for a parse of `ranges` of `text`: each read stops at the end of the range it starts
 * in. (Given the string, web-tree-sitter copies 10,240 characters at every read, and tree-sitter
 * reads afresh at the start of every range: a partial parse spent a third of its time copying
 * text it skips.)
 */
function reader(text: string, ranges: readonly TextRange[]): (index: number) => string {
  const ends = ranges.map((r) => r.endIndex);
  return (index) => {
    let lo = 0, hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! <= index) lo = mid + 1;
      else hi = mid;
    }
    return text.slice(index, Math.min(lo < ends.length ? ends[lo]! : text.length, index + 10240));
  };
}

/** Parse `text` (only `ranges` of it, when given). The caller owns the tree and must `delete()` it. */
export function parsePython(text: string, ranges?: readonly TextRange[]): Tree {
  const { parser: p } = ready();
  const tree = ranges ? p.parse(reader(text, ranges), null, { includedRanges: ranges as TextRange[] as never }) : p.parse(text);
  if (!tree) throw new Error("tree-sitter returned no tree");
  return tree;
}

/** A replacement of `[start, end)` of a text by `text` (UTF-16 indices, as tree-sitter's). */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** tree-sitter's point of `index`: rows count "\n" only, columns are UTF-16 code units. */
function pointAt(text: string, newlines: readonly number[], index: number): { row: number; column: number } {
  let lo = 0;
  let hi = newlines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (newlines[mid]! < index) lo = mid + 1;
    else hi = mid;
  }
  return { row: lo, column: index - (lo === 0 ? 0 : newlines[lo - 1]! + 1) };
}

function pointAfter(start: { row: number; column: number }, inserted: string): { row: number; column: number } {
  const last = inserted.lastIndexOf("\n");
  if (last < 0) return { row: start.row, column: start.column + inserted.length };
  let rows = 0;
  for (let i = inserted.indexOf("\n"); i >= 0; i = inserted.indexOf("\n", i + 1)) rows++;
  return { row: start.row + rows, column: inserted.length - last - 1 };
}

/**
 * Parse `newText`, which is `oldText` with `edits` (disjoint) applied, reusing the unchanged
 * parts of `old` (tree-sitter's incremental parsing gives the tree a fresh parse would). `old`
 * is edited in place: it no longer matches `oldText`, and the caller still owns (and deletes) it.
 */
export function reparsePython(old: Tree, oldText: string, edits: readonly TextEdit[], newText: string, ranges?: readonly TextRange[]): Tree {
  const { parser: p } = ready();
  const newlines: number[] = [];
  for (let i = oldText.indexOf("\n"); i >= 0; i = oldText.indexOf("\n", i + 1)) newlines.push(i);
  // From the last edit backwards: each one's coordinates are still those of the original text.
  for (const e of [...edits].sort((a, b) => b.start - a.start)) {
    const startPosition = pointAt(oldText, newlines, e.start);
    old.edit(new Edit({
      startIndex: e.start,
      oldEndIndex: e.end,
      newEndIndex: e.start + e.text.length,
      startPosition,
      oldEndPosition: pointAt(oldText, newlines, e.end),
      newEndPosition: pointAfter(startPosition, e.text),
    }));
  }
  const tree = ranges ? p.parse(reader(newText, ranges), old, { includedRanges: ranges as TextRange[] as never }) : p.parse(newText, old);
  if (!tree) throw new Error("tree-sitter returned no tree");
  return tree;
}

/** A compiled query, cached by its source: each Query is compiled once per process. */
export function query(source: string): Query {
  let q = queries.get(source);
  if (!q) {
    q = new Query(ready().language, source);
    queries.set(source, q);
  }
  return q;
}

/**
 * The innermost statement (a child of a block or the module) that holds `index`, or `root` when
 * none does. Found from the root down with a cursor: tree-sitter finds each `parent` from the
 * root, so walking up from a node deep in an expression (a long `+` chain) costs the square of
 * its depth.
 */
export function statementAt(root: Node, index: number): Node {
  const cursor = root.walk();
  try {
    let statement = root;
    for (let holder = cursor.nodeType; cursor.gotoFirstChildForIndex(index); holder = cursor.nodeType) {
      if (holder === "block" || holder === "module") statement = cursor.currentNode;
    }
    return statement;
  } finally {
    cursor.delete();
  }
}

/**
 * The matches of `q` in the statements that hold `sites` (indices into the text), in document
 * order, each once. A query visits every node under where it starts: a codemod that knows where
 * it can act (Codemod.sites) runs its query there rather than over the whole tree.
 */
export function matchesAround(q: Query, root: Node, sites: readonly number[]): QueryMatch[] {
  const statements = [...new Map(sites.map((i) => statementAt(root, i)).map((s) => [s.startIndex, s])).values()]
    .sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
  const matches: QueryMatch[] = [];
  let covered = -1;
  for (const statement of statements) {
    // One nested in a statement already queried (a site in an `if` header and one in its body).
    if (statement.endIndex <= covered) continue;
    covered = statement.endIndex;
    matches.push(...q.matches(statement));
  }
  return matches;
}

/**
 * Where the first syntax error is: the innermost ERROR or MISSING node on the way to the first
 * one in document order (an ERROR spanning the whole module says nothing; the one inside it
 * does). A MISSING hidden token (tree-sitter-python's `_newline`) is no child anyone can visit:
 * then the innermost node holding the error stands for it.
 */
export function firstSyntaxError(root: Node): Node | undefined {
  if (!root.hasError) return undefined;
  let found: Node = root;
  for (let node: Node | undefined = root; node; ) {
    if (node.isError || node.isMissing || node.hasError) found = node;
    node = node.children.find((c) => !!c && (c.isError || c.isMissing || c.hasError)) ?? undefined;
  }
  return found;
}

/**
 * Count ERROR and MISSING nodes: the safety net compares this before and after a fix. A node
 * that has an error none of its children show holds a hidden MISSING token, and counts as one.
 */
export function countSyntaxErrors(root: Node): number {
  let count = 0;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.isError || node.isMissing) count++;
    if (!node.hasError) continue;
    const inside = node.children.filter((c): c is Node => !!c && (c.hasError || c.isMissing || c.isError));
    if (inside.length === 0 && !node.isError && !node.isMissing) count++;
    stack.push(...inside);
  }
  return count;
}

/**
 * The blocks with no statement: tree-sitter-python reads `def f():` with nothing under it as a
 * function with an empty body, without an error; Python refuses it. (Comments are no statements.)
 */
export function emptyBlocks(root: Node): Node[] {
  return query("(block) @block").captures(root).map((c) => c.node).filter((b) => !b.namedChildren.some((s) => s && s.type !== "comment"));
}

export type { Node, Tree };
