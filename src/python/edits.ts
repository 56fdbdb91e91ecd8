/**
 * Edits that several codemods need: removing a statement or a call argument cleanly.
 */
import type { Node } from "web-tree-sitter";
import type { Edit } from "../codemod.js";
import type { PythonFile } from "./file.js";

export type EditPlan = { ok: true; edits: Edit[] } | { ok: false; reason: string };

function onlyWhitespace(s: string): boolean {
  return /^[ \t]*$/.test(s);
}

function lineEndAfter(text: string, index: number): number {
  let i = index;
  while (i < text.length && text[i] !== "\n" && text[i] !== "\r") i++;
  if (text[i] === "\r") i++;
  if (text[i] === "\n") i++;
  return i;
}

/**
 * Remove a statement that stands on lines of its own. When it is the only statement of its
 * block, it becomes `pass` instead, so the block stays valid.
 */
export function removeStatement(file: PythonFile, stmt: Node): EditPlan {
  const text = file.text;
  const lineStart = file.lineStart(file.position(stmt.startIndex).line);
  const before = text.slice(lineStart, stmt.startIndex);
  let tail = stmt.endIndex;
  while (tail < text.length && (text[tail] === " " || text[tail] === "\t")) tail++;
  const hasComment = text[tail] === "#";
  const endOfLine = lineEndAfter(text, stmt.endIndex);
  const rest = text.slice(tail, endOfLine).replace(/[\r\n]+$/, "");
  if (!onlyWhitespace(before) || (!hasComment && rest.length > 0)) {
    return { ok: false, reason: "shares its line with other code" };
  }
  const parent = stmt.parent;
  const siblings = (parent?.namedChildren ?? []).filter((n): n is Node => !!n && n.type !== "comment");
  if (parent && parent.type === "block" && siblings.length === 1) return { ok: true, edits: [passInstead(stmt)] };
  return { ok: true, edits: [{ start: lineStart, end: endOfLine, text: "" }] };
}

/** The statement becomes `pass` (its block keeps a statement). */
export function passInstead(stmt: Node): Edit {
  return { start: stmt.startIndex, end: stmt.endIndex, text: "pass" };
}

/**
 * Of statements removed together (each planned by removeStatement), the ones that must become
 * `pass` instead (passInstead): the last of each block they would leave with no statement. Each
 * removal alone keeps its block valid; two removals emptying one block together would not.
 * Indices into `stmts`.
 */
export function emptyingRemovals(stmts: readonly Node[]): number[] {
  const byBlock = new Map<number, { block: Node; removed: Set<number>; last: number }>();
  stmts.forEach((stmt, i) => {
    const block = stmt.parent;
    if (!block || block.type !== "block") return;
    const entry = byBlock.get(block.id) ?? { block, removed: new Set<number>(), last: i };
    entry.removed.add(stmt.startIndex);
    if (stmt.startIndex > stmts[entry.last]!.startIndex) entry.last = i;
    byBlock.set(block.id, entry);
  });
  return [...byBlock.values()]
    .filter(({ block, removed }) => block.namedChildren.every((n) => !n || n.type === "comment" || removed.has(n.startIndex)))
    .map(({ last }) => last);
}

/** Remove one argument of an argument_list, with the comma that separates it. */
export function removeArgument(file: PythonFile, arg: Node): EditPlan {
  const list = arg.parent;
  if (!list || list.type !== "argument_list") return { ok: false, reason: "not a call argument" };
  const args = list.namedChildren.filter((n): n is Node => !!n && n.type !== "comment");
  const i = args.findIndex((a) => a.equals(arg));
  if (i < 0) return { ok: false, reason: "argument not found" };
  const text = file.text;
  if (args.length === 1) {
    // f(x=1) → f(); keep any trailing comma-less layout inside the parentheses.
    return { ok: true, edits: [{ start: list.startIndex + 1, end: list.endIndex - 1, text: "" }] };
  }
  if (i < args.length - 1) {
    // Remove from this argument to the start of the next one.
    const next = args[i + 1]!;
    const between = text.slice(arg.endIndex, next.startIndex);
    if (between.includes("#")) return { ok: false, reason: "a comment sits next to the argument" };
    return { ok: true, edits: [{ start: arg.startIndex, end: next.startIndex, text: "" }] };
  }
  // Last argument: remove from the end of the previous one.
  const prev = args[i - 1]!;
  const between = text.slice(prev.endIndex, arg.startIndex);
  if (between.includes("#")) return { ok: false, reason: "a comment sits next to the argument" };
  return { ok: true, edits: [{ start: prev.endIndex, end: arg.endIndex, text: "" }] };
}
