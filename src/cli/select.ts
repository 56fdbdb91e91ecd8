import { UsageError } from "clipanion";
import { codemods } from "../../codemods/index.js";
import type { Codemod } from "../codemod.js";

function ids(list: readonly string[] | undefined): string[] {
  return (list ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
}

/** The codemods chosen by --select / --ignore, in registry order. Unknown ids are a usage error. */
export function selectCodemods(select?: readonly string[], ignore?: readonly string[]): Codemod[] {
  const known = new Set(codemods.map((c) => c.id));
  const chosen = ids(select);
  const dropped = ids(ignore);
  for (const id of [...chosen, ...dropped]) {
    if (!known.has(id)) throw new UsageError(`unknown codemod '${id}' (known: ${[...known].join(", ")})`);
  }
  return codemods.filter((c) => (chosen.length === 0 || chosen.includes(c.id)) && !dropped.includes(c.id));
}
