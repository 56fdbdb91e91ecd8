/**
 * Which way to open a pull request: `gh` when it is installed and logged in to the host, else
 * the REST API with GH_TOKEN / GITHUB_TOKEN, else none (with what to do about it).
 */
import { GhCli, ghReady } from "./gh-cli.js";
import { DEFAULT_API_URL, GitHubRest } from "./github-rest.js";
import type { PullRequestProvider, RepoSlug } from "./provider.js";

export interface ChooseOptions {
  /** Environment to read tokens, GITHUB_API_URL and PATH (for gh) from. */
  readonly env: NodeJS.ProcessEnv;
  /** --api-url; else GITHUB_API_URL; else api.github.com for github.com and https://HOST/api/v3 for other hosts. */
  readonly apiUrl?: string;
}

export type Choice = { readonly provider: PullRequestProvider } | { readonly unavailable: string };

export function defaultApiUrl(host: string): string {
  return host === "github.com" ? DEFAULT_API_URL : `https://${host}/api/v3`;
}

export async function choosePrProvider(slug: RepoSlug, options: ChooseOptions): Promise<Choice> {
  if (await ghReady(slug.host, options.env)) return { provider: new GhCli(options.env) };
  const token = options.env.GH_TOKEN || options.env.GITHUB_TOKEN;
  if (!token) {
    return {
      unavailable: "no GitHub credentials: set GH_TOKEN or GITHUB_TOKEN (or log in with `gh auth login`) to open the pull request",
    };
  }
  const apiUrl = options.apiUrl || options.env.GITHUB_API_URL || defaultApiUrl(slug.host);
  return { provider: new GitHubRest(apiUrl, token) };
}
