/**
 * Finding nodes by a keyword they start with, through the text: a regular expression finds the
 * word and `descendantForIndex` the token there. Walking a whole tree in WASM (a Query, or
 * descendantsOfType) costs about a sixth of parsing it; this costs a few lookups per
 * occurrence. Only keyword tokens count: the same word in a string, a comment or an identifier
 * (`except_`, `self.print`) is another node.
 */
import type { Node } from "web-tree-sitter";
import type { PythonFile } from "./file.js";

const patterns = new Map<string, RegExp>();

/** Every `keyword` token of `file`, in document order. */
export function keywordTokens(file: PythonFile, keyword: string): Node[] {
  let re = patterns.get(keyword);
  if (!re) patterns.set(keyword, (re = new RegExp(`\\b${keyword}\\b`, "g")));
  const text = file.text;
  const found: Node[] = [];
  if (!text.includes(keyword)) return found;
  const root = file.root;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const node = root.descendantForIndex(m.index, m.index + keyword.length);
    if (node && node.type === keyword && node.startIndex === m.index) found.push(node);
  }
  return found;
}

/** The nodes of `type` that a `keyword` token opens or belongs to (its parent), in document order. */
export function nodesByKeyword(file: PythonFile, keyword: string, types: ReadonlySet<string>): Node[] {
  const found: Node[] = [];
  for (const token of keywordTokens(file, keyword)) {
    const parent = token.parent;
    if (parent && types.has(parent.type)) found.push(parent);
  }
  return found;
}
