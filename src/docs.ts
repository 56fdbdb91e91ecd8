/**
 * Documentation generated from codemod metadata: `explain` and the README's codemod table.
 */
import type { Codemod } from "./codemod.js";

/** The `[tool.pyremedy.<id>]` table a codemod accepts, with defaults, as Markdown. */
function optionLines(c: Codemod): string[] {
  if (!c.options?.length) return [];
  const value = (v: unknown): string => JSON.stringify(v);
  return [
    "## Options",
    `In pyproject.toml, under \`[tool.pyremedy.${c.id}]\`:`,
    ...c.options.map((o) => {
      const choices = o.choices ? ` (one of ${o.choices.map(value).join(", ")})` : "";
      return `- \`${o.name}\` (${o.type}, default ${value(o.default)})${choices}: ${o.description}`;
    }),
    "",
  ];
}

export function explainCodemod(c: Codemod): string {
  const lines = [
    `# ${c.id}: ${c.title}`,
    "",
    "## What it does",
    c.what,
    "",
    "## Why is this bad?",
    c.why,
    "",
    "## Example",
    "Before:",
    "```python",
    c.example.before.replace(/\n$/, ""),
    "```",
    "After:",
    "```python",
    c.example.after.replace(/\n$/, ""),
    "```",
    "",
    `## Fix safety: ${c.safety}`,
    c.safetyNote,
    "",
    `Peers that only detect it: ${c.peers.join(", ") || "none"}`,
    "",
    ...optionLines(c),
    "## References",
    ...c.references.map((r) => `- ${r.title}: ${r.url}`),
  ];
  return lines.join("\n") + "\n";
}

/** The README's codemod table (between the generated-table markers). */
export function codemodTable(list: readonly Codemod[]): string {
  const rows = list.map((c) => `| \`${c.id}\` | ${c.title} | ${c.safety} | ${c.peers.join(", ") || "—"} |`);
  return ["| id | what it fixes | safety | peers that only detect it |", "|---|---|---|---|", ...rows].join("\n");
}

const START = "<!-- codemod-table:start -->";
const END = "<!-- codemod-table:end -->";

/** The README with its generated table (between the markers) made from `list`. */
export function replaceGeneratedTable(readme: string, list: readonly Codemod[]): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README lacks the ${START} / ${END} markers`);
  const details = list.flatMap((c) => [
    `- **\`${c.id}\`** — ${c.what} Run \`pyremedy explain ${c.id}\` for why, an example and fix safety.`,
    ...(c.options ?? []).map((o) => `  - \`[tool.pyremedy.${c.id}]\` \`${o.name}\` (${o.type}, default \`${JSON.stringify(o.default)}\`): ${o.description}`),
  ]);
  const body = [codemodTable(list), "", ...details].join("\n");
  return `${readme.slice(0, start + START.length)}\n${body}\n${readme.slice(end)}`;
}
