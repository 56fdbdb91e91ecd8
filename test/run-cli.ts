/**
 * Run the CLI in this process, as a user would from a shell: its exit code and what it printed.
 */
import { PassThrough } from "node:stream";
import { buildCli } from "../src/cli/app.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr as they were written, interleaved (what a terminal would show). */
  readonly output: string;
}

/** `cwd`: the directory to run in (restored after). `stderrTTY`: stderr claims to be a 120-column terminal. */
export async function runCli(args: string[], options: { cwd?: string; stderrTTY?: boolean } = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), options.stderrTTY ? { isTTY: true, columns: 120 } : {});
  let out = "";
  let err = "";
  let both = "";
  stdout.on("data", (d: Buffer) => {
    out += d;
    both += d;
  });
  stderr.on("data", (d: Buffer) => {
    err += d;
    both += d;
  });
  const before = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  try {
    const code = await buildCli().run(args, { stdin: process.stdin, stdout, stderr, colorDepth: 1 } as never);
    return { code, stdout: out, stderr: err, output: both };
  } finally {
    process.chdir(before);
  }
}
