import fs from "node:fs";
import { Command, Option, UsageError } from "clipanion";
import { exitCode } from "../engine/report.js";
import { DEFAULT_MAX_BYTES, runFix } from "../engine/run.js";
import { renderJson } from "../reports/json.js";
import { renderText } from "../reports/text.js";
import { selectCodemods } from "./select.js";

const FORMATS = ["text", "json"] as const;

export class FixCommand extends Command {
  static override paths = [["fix"]];
  static override usage = Command.Usage({
    description: "Preview (default) or apply fixes to Python files",
    details: `
      Walks the given files and directories for \`*.py\` (honouring .gitignore), runs the selected codemods and prints a unified diff per file. Nothing is written unless \`--write\` is given.

      Exit codes: 0 nothing to change (or everything was written), 1 a preview found changes, 2 usage error or a file failed.
    `,
    examples: [
      ["Preview every fix in a project", "$0 fix ./my-service"],
      ["Apply only the TLS fixes", "$0 fix --select verify-ssl --write ./my-service"],
      ["Machine-readable report", "$0 fix --format json --output report.json ."],
    ],
  });

  targets = Option.Rest({ name: "path" });
  write = Option.Boolean("--write", false, { description: "Apply the fixes in place (atomic; file mode kept)" });
  select = Option.Array("--select", { description: "Only these codemods (comma-separated ids)" });
  ignore = Option.Array("--ignore", { description: "Skip these codemods (comma-separated ids)" });
  format = Option.String("--format", "text", { description: "text | json" });
  output = Option.String("--output", { description: "Write the report to this file instead of stdout" });
  exclude = Option.Array("--exclude", { description: "Glob of paths to skip (repeatable)" });
  maxBytes = Option.String("--max-bytes", { description: `Skip files larger than this (default ${DEFAULT_MAX_BYTES})` });
  includeTests = Option.Boolean("--include-tests", false, { description: "Also treat files under tests/ as candidates (secrets-to-env)" });
  color = Option.Boolean("--color", { description: "Force (or with --no-color, disable) coloured output" });

  async execute(): Promise<number> {
    if (!(FORMATS as readonly string[]).includes(this.format)) {
      throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
    }
    const maxBytes = this.maxBytes === undefined ? DEFAULT_MAX_BYTES : Number(this.maxBytes);
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new UsageError("--max-bytes must be a positive integer");
    const report = await runFix({
      paths: this.targets.length ? this.targets : ["."],
      codemods: selectCodemods(this.select, this.ignore),
      write: this.write,
      exclude: this.exclude,
      maxBytes,
      includeTests: this.includeTests,
    });
    const stream = this.context.stdout as NodeJS.WriteStream;
    const color = this.output
      ? false
      : this.color ?? (!("NO_COLOR" in process.env && process.env.NO_COLOR !== "") && !!stream.isTTY);
    const rendered = this.format === "json" ? renderJson(report) : renderText(report, { color });
    if (this.output) fs.writeFileSync(this.output, rendered);
    else this.context.stdout.write(rendered);
    return exitCode(report);
  }
}
