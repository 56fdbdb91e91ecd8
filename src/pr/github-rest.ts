/**
 * Pull requests through the GitHub REST API (api.github.com, or a GitHub Enterprise
 * `https://HOST/api/v3`). The token goes in the Authorization header only, never in a URL or
 * a message, and never over plain HTTP except to this machine (tests, local proxies).
 */
import { PullRequestError, type PullRequestProvider, type PullRequestResult, type PullRequestSpec } from "./provider.js";
import { VERSION } from "../version.js";

export const DEFAULT_API_URL = "https://api.github.com";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** The API base as a URL without trailing slash; plain http only to loopback. */
export function apiBase(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PullRequestError(`invalid GitHub API URL '${raw}'`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    throw new PullRequestError(`refusing to send a token to ${url.origin}: the GitHub API URL must use https`);
  }
  return url.toString().replace(/\/+$/, "");
}

interface PullJson {
  readonly number: number;
  readonly html_url: string;
}

export class GitHubRest implements PullRequestProvider {
  readonly name = "github-rest";
  private readonly base: string;

  constructor(apiUrl: string, private readonly token: string, private readonly fetchImpl: typeof fetch = fetch) {
    this.base = apiBase(apiUrl);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers: {
          Accept: "application/vnd.github+json",
          Authorization: `Bearer ${this.token}`,
          "X-GitHub-Api-Version": "2022-11-28",
          "User-Agent": `pyremedy/${VERSION}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new PullRequestError(`GitHub API ${method} ${path}: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = "";
      try {
        const json = JSON.parse(text) as { message?: string; errors?: { message?: string }[] };
        detail = [json.message, ...(json.errors ?? []).map((e) => e.message)].filter(Boolean).join("; ");
      } catch {
        detail = text.slice(0, 200);
      }
      throw new PullRequestError(`GitHub API ${method} ${path}: ${response.status}${detail ? ` ${detail}` : ""}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PullRequestError(`GitHub API ${method} ${path}: the answer is not JSON`);
    }
  }

  async openOrUpdate(spec: PullRequestSpec): Promise<PullRequestResult> {
    const repo = `/repos/${encodeURIComponent(spec.repo.owner)}/${encodeURIComponent(spec.repo.name)}`;
    const head = encodeURIComponent(`${spec.repo.owner}:${spec.head}`);
    const open = await this.call<PullJson[]>("GET", `${repo}/pulls?state=open&head=${head}&per_page=1`);
    const existing = Array.isArray(open) ? open[0] : undefined;
    if (existing) {
      const pr = await this.call<PullJson>("PATCH", `${repo}/pulls/${existing.number}`, { title: spec.title, body: spec.body });
      return { url: pr.html_url, number: pr.number, action: "updated" };
    }
    const pr = await this.call<PullJson>("POST", `${repo}/pulls`, {
      title: spec.title,
      head: spec.head,
      base: spec.base,
      body: spec.body,
      draft: spec.draft,
      maintainer_can_modify: true,
    });
    return { url: pr.html_url, number: pr.number, action: "created" };
  }
}
