/**
 * A whole run: discover → read → process (pure) → write → report. The only module here that
 * reads and writes project files.
 */
import fs from "node:fs";
import type { Codemod } from "../codemod.js";
import { VERSION } from "../version.js";
import { initPython } from "../python/parser.js";
import { projectContext, projectFs, type ProjectFs } from "./context.js";
import { unifiedDiff } from "./diff.js";
import { maskAll } from "./mask.js";
import { discover } from "./discover.js";
import { processSource } from "./process.js";
import { changeReport, summarize, type EnvReport, type FileReport, type RunReport } from "./report.js";
import { writeAtomic, WriteError } from "./write.js";

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

export interface RunOptions {
  readonly paths: readonly string[];
  readonly codemods: readonly Codemod[];
  readonly write?: boolean;
  readonly exclude?: readonly string[];
  readonly maxBytes?: number;
  readonly includeTests?: boolean;
  readonly codemodOptions?: Record<string, unknown>;
}

export async function runFix(options: RunOptions): Promise<RunReport> {
  await initPython();
  const { targets, problems } = discover(options.paths, { exclude: options.exclude });
  const files: FileReport[] = problems.map((p) => ({ repo: p.repo, path: p.relPath, status: p.status, reason: p.reason, changes: [], notices: [] }));
  const env = new Map<string, EnvReport>();
  const fsByRoot = new Map<string, ProjectFs>();
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;

  for (const target of targets) {
    const base = { repo: target.repo, path: target.relPath };
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(target.absPath);
    } catch (err) {
      files.push({ ...base, status: "failed", reason: `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, changes: [], notices: [] });
      continue;
    }
    let pfs = fsByRoot.get(target.root);
    if (!pfs) fsByRoot.set(target.root, (pfs = projectFs(target.root)));
    const ctx = projectContext(target.root, target.relPath, pfs, options.codemodOptions, options.includeTests);
    const outcome = processSource(bytes, ctx, { codemods: options.codemods, maxBytes });
    const secrets = outcome.changes.flatMap((c) => (c.env ?? []).map((e) => e.value));
    const report: FileReport = {
      ...base,
      status: outcome.status,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      changes: outcome.changes.map(changeReport),
      notices: outcome.notices,
      ...(outcome.status === "changed" ? { diff: maskAll(unifiedDiff(target.relPath, outcome.before!, outcome.after!), secrets) } : {}),
    };
    if (outcome.status === "changed" && options.write) {
      try {
        writeAtomic(target.absPath, bytes, outcome.output!);
        files.push({ ...report, written: true });
      } catch (err) {
        const reason = err instanceof WriteError ? err.message : `write failed: ${(err as Error).message}`;
        files.push({ ...report, status: "failed", reason });
        continue;
      }
    } else {
      files.push(report);
    }
    for (const change of outcome.changes) {
      for (const entry of change.env ?? []) {
        const key = `${target.repo}\0${entry.name}`;
        const seen = env.get(key) ?? { name: entry.name, ...(entry.provider ? { provider: entry.provider } : {}), files: [] };
        if (!seen.files.includes(target.relPath)) seen.files.push(target.relPath);
        env.set(key, seen);
      }
    }
  }
  const repos = new Set([...options.paths]).size;
  return {
    tool: { name: "pyremedy", version: VERSION },
    summary: summarize(files, options.codemods.map((c) => c.id), repos),
    files,
    env: [...env.values()],
    write: !!options.write,
  };
}
