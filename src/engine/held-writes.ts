/**
 * With --write, a fixed file whose changes move secret values out of the code (Change.env) is
 * not written as it comes: the literal would be gone from disk before `.env` holds it, and an
 * interrupt or a crash in between would lose the value. Such files are held until their
 * repository is processed; then the repository step (env-files.ts) puts the values in a
 * git-ignored `.env`, on disk, and only the files whose every value `.env` now holds are
 * written. The others stay as they are and are reported failed, with the reason.
 */
import type { EnvEntry } from "../codemod.js";
import type { Target } from "./discover.js";
import { inDotenv, settleEnvFiles, type EnvFilesOptions, type EnvFilesOutcome, type MovedSecret } from "./env-files.js";
import type { FileReport } from "./report.js";
import { checkWritable, writeAtomic, WriteError } from "./write.js";

/** A changed file waiting for `.env`. */
export interface HeldWrite {
  readonly target: Target;
  /** The bytes read (the file must still hold them) and the fix. */
  readonly bytes: Uint8Array;
  readonly output: Uint8Array;
  /** The values its changes move out, in change order. */
  readonly env: readonly EnvEntry[];
  /** Its report as a changed file, not written yet. */
  readonly report: FileReport;
}

export interface HeldStep {
  /** The values of the held files that may still be written, in file order (the report's env list). */
  readonly moved: MovedSecret[];
  /** Resolves once `.env` is settled and every held file has its final report. */
  readonly settled?: Promise<EnvFilesOutcome>;
}

/** Where a held file's final report goes. */
export type PlaceReport = (held: HeldWrite, report: FileReport) => void;

function failed(held: HeldWrite, reason: string): FileReport {
  const { source: _unwritten, ...rest } = held.report;
  return { ...rest, status: "failed", reason };
}

function writeFailure(err: unknown): string {
  return err instanceof WriteError ? err.message : `write failed: ${(err as Error).message}`;
}

/** Why `held` may not be written after `outcome`: the first of its values the env file (`.env`) does not hold. */
function notInDotenv(held: HeldWrite, outcome: EnvFilesOutcome, envFile: string): string | undefined {
  for (const { name } of held.env) {
    const v = outcome.variables.find((x) => x.name === name);
    if (inDotenv(v?.dotenv)) continue;
    const why = v?.message ?? outcome.failures.find((f) => f.path === envFile)?.reason ?? `the ${envFile} step did not run`;
    return `not written: ${envFile} does not hold ${name} (${why})`;
  }
  return undefined;
}

/**
 * The held writes of a run. Repositories sharing a root (two paths inside one project) take
 * turns at its `.env`, so the second sees what the first wrote instead of a file changed under it.
 */
export function heldWriter(): (root: string, held: readonly HeldWrite[], place: PlaceReport, env?: Omit<EnvFilesOptions, "write">) => HeldStep {
  const turns = new Map<string, Promise<unknown>>();
  return (root, held, place, env = {}) => {
    // A file that could not be written anyway (read-only, changed on disk) moves nothing to .env.
    const ready: HeldWrite[] = [];
    for (const h of held) {
      try {
        checkWritable(h.target.absPath, h.bytes);
        ready.push(h);
      } catch (err) {
        place(h, failed(h, writeFailure(err)));
      }
    }
    const moved = ready.flatMap((h) => h.env.map((entry) => ({ relPath: h.target.relPath, entry })));
    if (moved.length === 0) return { moved };
    const settled = (turns.get(root) ?? Promise.resolve())
      .then(() => settleEnvFiles(root, moved, { ...env, write: true }))
      .then(async (outcome) => {
        let turn = Date.now();
        for (const h of ready) {
          // .env is on disk: an interrupt may land between these writes, and should not wait for all of them.
          if (Date.now() - turn > 50) {
            await new Promise((resolve) => setImmediate(resolve));
            turn = Date.now();
          }
          const refused = notInDotenv(h, outcome, env.envFile ?? ".env");
          if (refused) {
            place(h, failed(h, refused));
            continue;
          }
          try {
            writeAtomic(h.target.absPath, h.bytes, h.output);
            place(h, { ...h.report, written: true });
          } catch (err) {
            place(h, failed(h, writeFailure(err)));
          }
        }
        return outcome;
      });
    turns.set(root, settled.catch(() => undefined));
    return { moved, settled };
  };
}
