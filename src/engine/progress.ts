/**
 * The progress bar of a run (cli-progress): files done / total, elapsed time and the repository
 * being worked on, redrawn in place on stderr. Only on a terminal: never in a pipe, a file or
 * CI logs, and never with --quiet, so it can never end up inside a JSON, SARIF or patch report.
 */
import cliProgress from "cli-progress";
import { displayPath } from "../visible.js";

export interface Progress {
  start(total: number): void;
  /** One more file done, in `repo`. */
  advance(repo: string): void;
  stop(): void;
}

export const noProgress: Progress = { start() {}, advance() {}, stop() {} };

export interface ProgressStream extends NodeJS.WritableStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Whether a run should draw a bar on `stream`. */
export function wantsProgress(stream: ProgressStream, quiet: boolean): boolean {
  return !quiet && stream.isTTY === true;
}

function shorten(repo: string, width: number): string {
  return repo.length <= width ? repo : `…${repo.slice(repo.length - width + 1)}`;
}

export function progressBar(stream: ProgressStream): Progress {
  const bar = new cliProgress.SingleBar({
    stream,
    format: "{bar} {value}/{total} files | {duration_formatted} | {repo}",
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
    linewrap: false,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  let running = false;
  const repoWidth = Math.max(10, (stream.columns ?? 80) - 64);
  return {
    start(total) {
      bar.start(total, 0, { repo: "" });
      running = true;
    },
    advance(repo) {
      // A repository path comes from the command line or a --repos file: shown quoted if it holds controls.
      if (running) bar.increment(1, { repo: shorten(displayPath(repo), repoWidth) });
    },
    stop() {
      if (!running) return;
      running = false;
      bar.stop();
    },
  };
}
