import fs from "node:fs";
import path from "node:path";
import { Command, Option, UsageError } from "clipanion";
import { BatchError, selectRepos } from "../engine/batch.js";
import { noProgress, progressBar, wantsProgress, type ProgressStream } from "../engine/progress.js";
import { exitCode, withoutUnusedIgnores, type RunReport } from "../engine/report.js";
import { DEFAULT_MAX_BYTES, defaultJobs, runFix } from "../engine/run.js";
import type { Codemod } from "../codemod.js";
import { renderJson } from "../reports/json.js";
import { renderPatch } from "../reports/patch.js";
import { renderSarif } from "../reports/sarif.js";
import { renderSummary, renderText } from "../reports/text.js";
import { codemods as registry } from "../../codemods/index.js";
import { planBatch, renderSettings, type RunPlan } from "../config.js";
import { visibleText } from "../visible.js";
import { verificationSummary, verifyImports, withVerification } from "../engine/verify.js";

const FORMATS = ["text", "json", "sarif", "patch", "html"] as const;
type Format = (typeof FORMATS)[number];

async function render(format: Format, report: RunReport, codemods: readonly Codemod[], color: boolean): Promise<string | Uint8Array> {
  switch (format) {
    case "json": return renderJson(report);
    case "sarif": return renderSarif(report, codemods);
    case "patch": return renderPatch(report);
    // Loaded when asked for: diff2html and its templates take a tenth of a second to load.
    case "html": return (await import("../reports/html.js")).renderHtml(report);
    case "text": return renderText(report, { color });
  }
}

/** The configuration errors of a plan, each once, as one usage error (controls escaped: it goes to a terminal). */
function configUsageError(plan: RunPlan): UsageError {
  const messages = [...new Set(plan.failed.map((f) => f.error.message))];
  return new UsageError(messages.map((m) => visibleText(m)).join("\n"));
}

export class FixCommand extends Command {
  static override paths = [["fix"]];
  static override usage = Command.Usage({
    description: "Preview (default) or apply fixes to Python files",
    details: `
      Walks the given files and directories for \`*.py\` (honouring .gitignore), runs the selected codemods and prints a unified diff per file. Nothing is written unless \`--write\` is given.

      Settings come from \`[tool.pyremedy]\` in the nearest pyproject.toml above each path (select, ignore, exclude, include-tests, per-codemod option tables); command-line flags win. \`--show-config\` prints the result. \`# pyremedy: ignore\` / \`# pyremedy: ignore[ID,...]\` on a line (or a statement's first line) leaves it alone; \`--report-unused-ignores\` lists the ones that suppressed nothing.

      Several repositories can be named, or listed in a file (\`--repos\`, one path per line, \`#\` comments); each is discovered on its own and the report groups files by repository. \`--shard K/N\` keeps the K-th of N deterministic slices of that list, for CI matrices. Files are processed on \`--jobs\` threads (this one and \`--jobs\` − 1 workers); the report is the same for any number.

      Formats: text (coloured diffs and a summary), json, sarif (SARIF 2.1.0 with fixes), patch (for \`git apply\`; with several repositories, paths are prefixed by each repository's path from the current directory) and html (one self-contained review page). Only the patch carries secret values.

      Exit codes: 0 nothing to change (or everything was written), 1 a preview found changes, 2 usage error or a file or repository failed.
    `,
    examples: [
      ["Preview every fix in a project", "$0 fix ./my-service"],
      ["Apply only the TLS fixes", "$0 fix --select verify-ssl --write ./my-service"],
      ["Machine-readable report", "$0 fix --format json --output report.json ."],
      ["A fleet, one CI shard of four, as SARIF", "$0 fix --repos repos.txt --shard 2/4 --format sarif --output out/pyremedy.sarif"],
      ["A patch to apply elsewhere", "$0 fix --format patch ./my-service > fixes.patch"],
      ["The configuration in effect", "$0 fix --show-config ./my-service"],
      ["Fill empty __init__.py files and check that the packages still import", "$0 fix --select init-exports --verify ./my-lib"],
    ],
  });

  targets = Option.Rest({ name: "repo" });
  repos = Option.String("--repos", { description: "Also run on the repositories listed in this file (one path per line, # comments)" });
  shard = Option.String("--shard", { description: "Only the K-th of N deterministic slices of the repository list (K/N)" });
  jobs = Option.String("--jobs", { description: "Threads that process files: this one and N − 1 workers (default: available cores; 1 = no workers)" });
  quiet = Option.Boolean("--quiet", false, { description: "No progress bar" });
  write = Option.Boolean("--write", false, { description: "Apply the fixes in place (atomic; file mode kept)" });
  select = Option.Array("--select", { description: "Only these codemods (comma-separated ids)" });
  ignore = Option.Array("--ignore", { description: "Skip these codemods (comma-separated ids)" });
  format = Option.String("--format", "text", { description: "text | json | sarif | patch | html" });
  output = Option.String("--output", { description: "Write the report to this file (parent directories created); stdout then gets the summary" });
  exclude = Option.Array("--exclude", { description: "Glob of paths to skip (repeatable)" });
  maxBytes = Option.String("--max-bytes", { description: `Skip files larger than this (default ${DEFAULT_MAX_BYTES})` });
  includeTests = Option.Boolean("--include-tests", { description: "Also treat files under tests/ as candidates (secrets-to-env); --no-include-tests overrides the configuration" });
  showConfig = Option.Boolean("--show-config", false, { description: "Print the effective configuration (pyproject.toml [tool.pyremedy] merged with these flags) as JSON, and exit" });
  reportUnusedIgnores = Option.Boolean("--report-unused-ignores", false, { description: "List `# pyremedy: ignore` comments that suppressed nothing (exit 1 when there are any)" });
  color = Option.Boolean("--color", { description: "Force (or with --no-color, disable) coloured output" });
  history = Option.Boolean("--history", { description: "Look moved secrets up in the git history (default); --no-history skips it, and the report says the history was not checked" });
  verify = Option.Boolean("--verify", false, { description: "Import each package init-exports filled with python3 (a subprocess, on a temp copy) and report failures; runs project code" });

  async execute(): Promise<number> {
    if (!(FORMATS as readonly string[]).includes(this.format)) {
      throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
    }
    const format = this.format as Format;
    const maxBytes = this.maxBytes === undefined ? DEFAULT_MAX_BYTES : Number(this.maxBytes);
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new UsageError("--max-bytes must be a positive integer");
    const jobs = this.jobs === undefined ? defaultJobs() : Number(this.jobs);
    if (!Number.isInteger(jobs) || jobs <= 0) throw new UsageError("--jobs must be a positive integer");
    let paths: string[];
    try {
      paths = selectRepos({ positional: this.targets, reposFile: this.repos, shard: this.shard });
    } catch (err) {
      if (err instanceof BatchError) throw new UsageError(err.message);
      throw err;
    }
    // One run per configuration (usually one): each path gets its nearest [tool.pyremedy]. An
    // invalid one fails its own paths (reported as failed repositories) while the others run; a
    // batch whose configurations are all invalid still gets its report (exit 2). When nothing
    // can run because of one configuration (one path, or paths that share it), or for
    // --show-config, it is a usage error.
    const options = { "secrets-to-env": { history: this.history } };
    const plan = planBatch(paths, { select: this.select, ignore: this.ignore, exclude: this.exclude, includeTests: this.includeTests, options });
    const oneCause = new Set(plan.failed.map((f) => f.error.message)).size === 1;
    if (plan.failed.length && ((plan.groups.length === 0 && oneCause) || this.showConfig)) throw configUsageError(plan);
    const groups = plan.groups;
    if (this.showConfig) {
      this.context.stdout.write(renderSettings(groups));
      return 0;
    }
    const codemods = registry.filter((c) => groups.some((g) => g.settings.codemods.includes(c)));
    const stderr = this.context.stderr as ProgressStream;
    // One run over every repository, in the order given, each with its own configuration: one
    // pool of workers and one progress bar for the whole batch.
    const settingsOf = new Map(groups.flatMap(({ paths: some, settings }) => some.map((p) => [p, settings] as const)));
    const merged = await runFix({
      paths,
      codemods,
      settingsOf: (p) => settingsOf.get(p),
      refused: new Map(plan.failed.map((f) => [f.path, f.error.message])),
      write: this.write,
      maxBytes,
      jobs,
      // Only these reporters read the files' bytes and texts; the others hold just the diffs.
      keepSources: format === "patch" || format === "sarif" || format === "html" || this.verify,
      progress: wantsProgress(stderr, this.quiet) ? progressBar(stderr) : noProgress,
    });
    let report = this.reportUnusedIgnores ? merged : withoutUnusedIgnores(merged);
    if (this.verify) {
      const verified = await verifyImports(report);
      this.context.stderr.write(verificationSummary(verified));
      report = withVerification(report, verified);
    }
    const stream = this.context.stdout as NodeJS.WriteStream;
    const color = this.color ?? (!("NO_COLOR" in process.env && process.env.NO_COLOR !== "") && !!stream.isTTY);
    if (this.output) {
      fs.mkdirSync(path.dirname(path.resolve(this.output)), { recursive: true });
      fs.writeFileSync(this.output, await render(format, report, codemods, false));
      this.context.stdout.write(renderSummary(report, { color }));
    } else {
      this.context.stdout.write(await render(format, report, codemods, color));
    }
    return exitCode(report);
  }
}
