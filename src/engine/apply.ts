/**
 * The one place edits are applied (ESLint's SourceCodeFixer): changes are taken in order,
 * a change whose edits collide with an already accepted one is deferred to the next pass.
 */
import MagicString from "magic-string";
import type { Change, Edit } from "../codemod.js";

/** Do two edits touch the same text? Insertions at a replaced range's edge or at the same point count. */
export function editsCollide(a: Edit, b: Edit): boolean {
  if (a.start < b.end && b.start < a.end) return true;
  if (a.start === a.end && b.start <= a.start && a.start <= b.end) return true;
  if (b.start === b.end && a.start <= b.start && b.start <= a.end) return true;
  return false;
}

export class OverlapError extends Error {}

/** Split changes into those that can be applied together (in the given order) and the rest. */
export function selectCompatible(changes: readonly Change[]): { accepted: Change[]; deferred: Change[] } {
  const accepted: Change[] = [];
  const deferred: Change[] = [];
  const taken: Edit[] = [];
  for (const change of changes) {
    const own = change.edits;
    for (let i = 0; i < own.length; i++) {
      for (let j = i + 1; j < own.length; j++) {
        if (editsCollide(own[i]!, own[j]!)) {
          throw new OverlapError(`${change.codemod}: overlapping edits within one change at line ${change.line}`);
        }
      }
    }
    if (own.some((e) => taken.some((t) => editsCollide(e, t)))) {
      deferred.push(change);
      continue;
    }
    accepted.push(change);
    taken.push(...own);
  }
  return { accepted, deferred };
}

/** Apply non-colliding edits to `text` with magic-string. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const s = new MagicString(text);
  for (const e of edits) {
    if (e.start < 0 || e.end > text.length || e.start > e.end) {
      throw new OverlapError(`edit out of range [${e.start}, ${e.end}) in a text of ${text.length}`);
    }
    if (e.start === e.end) {
      if (e.text) s.appendLeft(e.start, e.text);
    } else if (e.text) {
      s.update(e.start, e.end, e.text);
    } else {
      s.remove(e.start, e.end);
    }
  }
  return s.toString();
}
