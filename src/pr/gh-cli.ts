/**
 * Pull requests through the `gh` CLI, for users who are logged in with it. Driven like git:
 * execFile with an argument array; the body goes through stdin (`--body-file -`).
 */
import { execFile } from "node:child_process";
import { PullRequestError, type PullRequestProvider, type PullRequestResult, type PullRequestSpec, type RepoSlug } from "./provider.js";

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly missing: boolean;
}

function gh(args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile("gh", [...args], { env: { ...env, GH_PROMPT_DISABLED: "1", NO_COLOR: "1", GH_NO_UPDATE_NOTIFIER: "1" }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const missing = !!error && (error as NodeJS.ErrnoException).code === "ENOENT";
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), missing });
    });
    child.stdin?.on("error", () => { /* gh exited early; its exit code says why */ });
    child.stdin?.end(input ?? "");
  });
}

function repoArg(slug: RepoSlug): string {
  return slug.host === "github.com" ? `${slug.owner}/${slug.name}` : `${slug.host}/${slug.owner}/${slug.name}`;
}

/** True when `gh` is on PATH and logged in to the host. */
export async function ghReady(host: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const r = await gh(["auth", "status", "--hostname", host], env);
  return !r.missing && r.code === 0;
}

function failure(what: string, r: Run): PullRequestError {
  const msg = (r.stderr || r.stdout).trim().split("\n")[0] ?? "";
  return new PullRequestError(`gh ${what} failed${r.code === null ? "" : ` (exit ${r.code})`}${msg ? `: ${msg}` : ""}`);
}

function numberOf(url: string): number {
  const m = /\/pull\/(\d+)\/?$/.exec(url);
  return m ? Number(m[1]) : 0;
}

export class GhCli implements PullRequestProvider {
  readonly name = "gh";

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async openOrUpdate(spec: PullRequestSpec): Promise<PullRequestResult> {
    const repo = repoArg(spec.repo);
    const list = await gh(["pr", "list", "--repo", repo, "--head", spec.head, "--state", "open", "--json", "number,url", "--limit", "1"], this.env);
    if (list.code !== 0) throw failure("pr list", list);
    let open: { number: number; url: string }[];
    try {
      open = JSON.parse(list.stdout) as { number: number; url: string }[];
    } catch {
      throw new PullRequestError("gh pr list: the answer is not JSON");
    }
    const existing = open[0];
    if (existing) {
      const edit = await gh(["pr", "edit", String(existing.number), "--repo", repo, "--title", spec.title, "--body-file", "-"], this.env, spec.body);
      if (edit.code !== 0) throw failure("pr edit", edit);
      return { url: existing.url, number: existing.number, action: "updated" };
    }
    const args = ["pr", "create", "--repo", repo, "--head", spec.head, "--base", spec.base, "--title", spec.title, "--body-file", "-"];
    if (spec.draft) args.push("--draft");
    const create = await gh(args, this.env, spec.body);
    if (create.code !== 0) throw failure("pr create", create);
    const url = create.stdout.trim().split("\n").pop() ?? "";
    return { url, number: numberOf(url), action: "created" };
  }
}
