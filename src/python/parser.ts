/**
 * One tree-sitter runtime per process (or worker): the WASM module, the Python language,
 * one reused Parser and compiled Queries. Call `initPython()` once before parsing.
 */
import { createRequire } from "node:module";
import { Language, Parser, Query, type Node, type Tree } from "web-tree-sitter";

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

/** Parse `text`. The caller owns the tree and must `delete()` it. */
export function parsePython(text: string): Tree {
  const { parser: p } = ready();
  const tree = p.parse(text);
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

export type { Node, Tree };
