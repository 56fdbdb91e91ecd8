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

/** The first ERROR or MISSING node in document order, if any. */
export function firstSyntaxError(root: Node): Node | undefined {
  if (!root.hasError) return undefined;
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) return node;
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return root;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Count ERROR and MISSING nodes: the safety net compares this before and after a fix. */
export function countSyntaxErrors(root: Node): number {
  let count = 0;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.isError || node.isMissing) count++;
    if (!node.hasError) continue;
    for (const child of node.children) if (child && (child.hasError || child.isMissing)) stack.push(child);
  }
  return count;
}

export type { Node, Tree };
