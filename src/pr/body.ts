/**
 * The pull request text, made from the commits' data: a summary table per codemod, every
 * change with file:line and its explanation, review notes, environment variables to set,
 * credential-rotation warnings, how to reproduce locally, and a hidden marker with the tool
 * version and base sha. Names from the repository are escaped so they cannot break the
 * Markdown; no secret value is ever part of the input.
 */
import type { CommitRecord, Leftovers } from "../git/commit.js";
import { displayPath } from "../git/commit.js";

/** GitHub refuses bodies over 65536 characters; keep room for the trailing sections. */
const MAX_BODY = 60_000;

export interface BodyInput {
  readonly version: string;
  readonly base: string;
  readonly branch: string;
  readonly commits: readonly CommitRecord[];
  readonly leftovers: Leftovers;
  /** Ids of the codemods that ran (for the reproduce command). */
  readonly selected: readonly string[];
  /** True when every registered codemod ran (no --select needed to reproduce). */
  readonly allSelected: boolean;
}

/** Inline code that survives any content: a fence longer than any backtick run inside. */
export function mdCode(text: string): string {
  const s = displayPath(text);
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Free text from the engine (descriptions, notes): no raw HTML, no line breaks. */
export function mdText(text: string): string {
  return text.replace(/\s+/g, " ").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A table cell: pipes escaped (also inside code spans, as GFM requires). */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : /(x|s|ch|sh)$/.test(word) ? "es" : "s"}`;
}

export function prTitle(commits: readonly CommitRecord[]): string {
  const total = commits.reduce((n, c) => n + c.changes, 0);
  return `pyremedy: ${plural(total, "fix")} (${commits.map((c) => c.codemod).join(", ")})`;
}

export function reproduceCommand(input: BodyInput): string {
  const select = input.allSelected ? "" : ` --select ${input.selected.join(",")}`;
  return `git checkout --detach ${input.base}\nnpx pyremedy@${input.version} fix${select} --write .`;
}

export function prBody(input: BodyInput): string {
  const commits = input.commits;
  const total = commits.reduce((n, c) => n + c.changes, 0);
  const files = new Set(commits.flatMap((c) => c.files.map((f) => f.path)));
  const out: string[] = [];
  out.push(
    `pyremedy fixed ${plural(total, "flaw")} in ${plural(files.size, "file")}, one commit per codemod, on top of ${input.base.slice(0, 12)}. ` +
      "Review each commit on its own; changes marked **review** can alter behaviour and say what to check.",
    "",
    "| Codemod | What it fixes | Changes | Files | Safety |",
    "|---|---|--:|--:|---|",
  );
  for (const c of commits) {
    const changes = c.files.flatMap((f) => f.changes);
    const review = changes.filter((x) => x.safety === "review").length;
    const safety = [changes.length - review ? `${changes.length - review} safe` : "", review ? `${review} review` : ""].filter(Boolean).join(", ");
    out.push(`| ${cell(mdCode(c.codemod))} | ${cell(mdText(c.title))} | ${c.changes} | ${c.files.length} | ${safety} |`);
  }

  const tail = trailingSections(input);
  out.push("", "## Changes");
  let budget = MAX_BODY - tail.length - out.join("\n").length;
  let omitted = 0;
  for (const c of commits) {
    const head = `\n### ${mdCode(c.codemod)}: ${mdText(c.title)} (${c.sha.slice(0, 12)})\n`;
    if (budget - head.length < 0) {
      omitted += c.changes;
      continue;
    }
    out.push(head.trimEnd());
    budget -= head.length;
    for (const f of c.files) {
      for (const ch of f.changes) {
        const line = `- ${mdCode(`${f.path}:${ch.line}`)} ${ch.safety === "review" ? "**review** " : ""}${mdText(ch.description)}`;
        if (budget - line.length - 1 < 0) {
          omitted++;
          continue;
        }
        out.push(line);
        budget -= line.length + 1;
      }
    }
    if (c.otherFiles.length) out.push(`- also updated: ${c.otherFiles.map(mdCode).join(", ")}`);
  }
  if (omitted) out.push("", `…and ${plural(omitted, "more change")}: see the commits.`);
  return out.join("\n") + "\n" + tail;
}

function trailingSections(input: BodyInput): string {
  const out: string[] = [];
  const notes = input.commits.flatMap((c) =>
    c.files.flatMap((f) => f.changes.filter((ch) => ch.note).map((ch) => `- ${mdCode(`${f.path}:${ch.line}`)} (${mdCode(ch.codemod)}): ${mdText(ch.note!)}`)),
  );
  const leftovers = input.leftovers.notices.map((n) => `- ${mdCode(`${n.path}:${n.notice.line}`)} (${mdCode(n.notice.codemod)}): not changed, check by hand — ${mdText(n.notice.message)}`);
  const failed = input.leftovers.failed.map((f) => `- ${mdCode(f.path)}: not changed — ${mdText(f.reason)}`);
  if (notes.length || leftovers.length || failed.length) {
    out.push("", "## Review notes", ...cap([...notes, ...leftovers, ...failed], 200));
  }
  const env = new Map<string, { provider?: string; files: Set<string> }>();
  const movers = [...new Set(input.commits.filter((c) => c.env.length).map((c) => c.codemod))];
  for (const c of input.commits) {
    for (const e of c.env) {
      const seen = env.get(e.name) ?? { ...(e.provider ? { provider: e.provider } : {}), files: new Set<string>() };
      for (const f of e.files) seen.files.add(f);
      env.set(e.name, seen);
    }
  }
  if (env.size) {
    out.push(
      "",
      "## Environment variables to set",
      "The code now reads these from the environment. Their values are in no commit of this branch (the `.env` written while building it was discarded): " +
        "set them in your deployment's secret store before merging (names in `.env.example`). " +
        `To get a local \`.env\` with the values, run \`npx pyremedy@${input.version} fix --select ${movers.join(",")} --write .\` in a checkout of the base.`,
      "",
      "| Name | Provider | Used in |",
      "|---|---|---|",
      ...[...env].map(([name, e]) => `| ${cell(mdCode(name))} | ${cell(mdText(e.provider ?? "—"))} | ${cell([...e.files].map(mdCode).join(", "))} |`),
      "",
      "## ⚠️ Rotate these credentials",
      `The values of ${[...env.keys()].map(mdCode).join(", ")} are still in this repository's history: removing them from the code does not revoke them. ` +
        "Rotate each one at its provider, then update the secret store. Rewriting history (e.g. `git filter-repo`) is optional and never replaces rotation: clones, forks and caches keep the old commits.",
    );
  }
  out.push(
    "",
    "## Reproduce locally",
    "```sh",
    reproduceCommand(input),
    "```",
    "",
    "<!-- pyremedy",
    `version: ${input.version}`,
    `base: ${input.base}`,
    `branch: ${input.branch.replace(/-->/g, "")}`,
    `codemods: ${input.commits.map((c) => c.codemod).join(",")}`,
    "-->",
  );
  return out.join("\n") + "\n";
}

function cap(lines: readonly string[], max: number): string[] {
  return lines.length <= max ? [...lines] : [...lines.slice(0, max), `- …and ${lines.length - max} more: see the commits.`];
}
