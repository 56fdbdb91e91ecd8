import fs from "node:fs";
import path from "node:path";
import { Command, Option, UsageError } from "clipanion";
import { ConfigError, ConfigFinder, resolveSettings, type CliFlags, type Settings } from "../config.js";
import { branchExitCode, runBranches } from "../git/branch.js";
import { DEFAULT_BRANCH } from "../git/refs.js";
import { renderBranchJson, renderBranchText } from "../git/report.js";
import { selectCodemods } from "./select.js";

const FORMATS = ["text", "json"] as const;

/** One repository per line; blank lines and `#` comments skipped; relative paths are relative to the file. */
export function readRepoList(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --repos ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const dir = path.dirname(file);
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
    .filter(Boolean)
    .map((p) => (path.isAbsolute(p) ? p : path.join(dir, p)));
}

export class BranchCommand extends Command {
  static override paths = [["branch"]];
  static override usage = Command.Usage({
    description: "Open a fix branch in each repository, without touching its checkout",
    details: `
      Builds the fixes in a temporary \`git worktree\` (detached at \`--base\`: the current HEAD, or with \`--push\` the remote's default branch after a fetch), makes one commit per codemod that changed something, in registry order, and then creates or updates the branch. Your HEAD, branch, index and working files are never touched, also when the run fails or is interrupted.

      Settings come from \`[tool.pyremedy]\` in the nearest pyproject.toml above each repository path, as for \`fix\`: \`branch\` and \`base\` are the defaults of \`--branch\` and \`--base\`, and select, ignore, exclude, include-tests and the codemod options apply to the fixes. Command-line flags win. An invalid configuration fails its repository only.

      \`.env\` files are never committed. When the rebuilt branch has the same tree as the existing one, nothing is committed or pushed. A branch that carries someone else's commits is skipped, never overwritten; pushes use \`--force-with-lease\`.

      \`--pr\` (implies \`--push\`) opens or updates a pull request with \`gh\` when it is installed and logged in, else through the GitHub REST API with GH_TOKEN or GITHUB_TOKEN (\`--api-url\` or GITHUB_API_URL for GitHub Enterprise).

      Exit codes: 0 every repository succeeded, was up to date, had nothing to fix or was skipped; 2 a repository or a pull request failed, or a usage error.
    `,
    examples: [
      ["Build pyremedy/fixes in the current repository (local branch only)", "$0 branch"],
      ["Push a fix branch for review and open a pull request", "$0 branch --push --pr"],
      ["Many repositories, only the TLS fixes, JSON summary", "$0 branch --repos repos.txt --select verify-ssl --push --format json"],
    ],
  });

  targets = Option.Rest({ name: "repo" });
  repos = Option.String("--repos", { description: "A file listing repositories, one per line (# comments)" });
  branch = Option.String("--branch", { description: `Branch name (default: [tool.pyremedy] branch, else ${DEFAULT_BRANCH})` });
  base = Option.String("--base", { description: "Commit to build on (default: [tool.pyremedy] base, else HEAD, or <remote>/<default branch> with --push)" });
  push = Option.Boolean("--push", false, { description: "Push the branch to the remote (with --force-with-lease)" });
  remote = Option.String("--remote", "origin", { description: "Remote to fetch from and push to (default origin)" });
  pr = Option.Boolean("--pr", false, { description: "Open or update a pull request (implies --push)" });
  draft = Option.Boolean("--draft", false, { description: "Open the pull request as a draft" });
  runHooks = Option.Boolean("--run-hooks", false, { description: "Run the repository's git hooks (off by default)" });
  apiUrl = Option.String("--api-url", { description: "GitHub API base URL (GitHub Enterprise: https://HOST/api/v3)" });
  select = Option.Array("--select", { description: "Only these codemods (comma-separated ids)" });
  ignore = Option.Array("--ignore", { description: "Skip these codemods (comma-separated ids)" });
  format = Option.String("--format", "text", { description: "text | json" });

  async execute(): Promise<number> {
    if (!(FORMATS as readonly string[]).includes(this.format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
    const repos = [...this.targets, ...(this.repos ? readRepoList(this.repos) : [])];
    const chosen = selectCodemods(this.select, this.ignore);
    if (chosen.length === 0) throw new UsageError("no codemod selected");
    const targets = repos.length ? repos : ["."];
    // Each repository's [tool.pyremedy], merged with the flags; read before any git work.
    const flags: CliFlags = { select: this.select, ignore: this.ignore };
    const finder = new ConfigFinder();
    const settings = new Map<string, Settings | { configError: string }>();
    for (const repo of targets) {
      try {
        settings.set(repo, resolveSettings(finder.configFor(repo), flags));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        settings.set(repo, { configError: err.message });
      }
    }
    const report = await runBranches({
      repos: targets,
      codemods: chosen,
      // Without --select/--ignore, the reproduce command needs none: the configuration selects again.
      allCodemods: this.select === undefined && this.ignore === undefined,
      settingsFor: (repo) => settings.get(repo),
      ...(this.branch !== undefined ? { branch: this.branch } : {}),
      ...(this.base !== undefined ? { base: this.base } : {}),
      push: this.push,
      remote: this.remote,
      pr: this.pr,
      draft: this.draft,
      runHooks: this.runHooks,
      ...(this.apiUrl !== undefined ? { apiUrl: this.apiUrl } : {}),
    });
    this.context.stdout.write(this.format === "json" ? renderBranchJson(report) : renderBranchText(report));
    return branchExitCode(report);
  }
}
