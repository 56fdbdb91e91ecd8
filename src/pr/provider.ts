/**
 * Opening or updating a pull request, behind one small interface. Two implementations: the
 * `gh` CLI when it is installed and logged in, else the GitHub REST API with a token from
 * GH_TOKEN / GITHUB_TOKEN (API base configurable for GitHub Enterprise).
 */

/** A repository on a GitHub host, as named by a remote URL. */
export interface RepoSlug {
  readonly host: string;
  readonly owner: string;
  readonly name: string;
}

export interface PullRequestSpec {
  readonly repo: RepoSlug;
  /** The branch with the fixes (already pushed). */
  readonly head: string;
  /** The branch it should merge into. */
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly draft: boolean;
}

export interface PullRequestResult {
  readonly url: string;
  readonly number: number;
  readonly action: "created" | "updated";
}

export interface PullRequestProvider {
  /** "gh" or "github-rest": shown in reports. */
  readonly name: string;
  /** Update the open pull request from `head`, or create one. */
  openOrUpdate(spec: PullRequestSpec): Promise<PullRequestResult>;
}

/** A pull request could not be opened; the message never contains the token. */
export class PullRequestError extends Error {}

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * The GitHub repository a remote URL names: https://host/owner/name(.git), ssh://git@host/owner/name,
 * git@host:owner/name. Undefined for anything else (a local path, another layout).
 */
export function parseRemoteUrl(url: string): RepoSlug | undefined {
  let host: string;
  let rest: string;
  const scp = /^(?:[^@/\s]+@)?([A-Za-z0-9.-]+):(?!\/)(.+)$/.exec(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (!["https:", "http:", "ssh:", "git:"].includes(parsed.protocol)) return undefined;
    host = parsed.hostname;
    rest = decodeURIComponent(parsed.pathname);
  } else if (scp) {
    host = scp[1]!;
    rest = scp[2]!;
  } else {
    return undefined;
  }
  const parts = rest.replace(/^\/+|\/+$/g, "").replace(/\.git$/, "").split("/");
  if (parts.length !== 2) return undefined;
  const [owner, name] = parts as [string, string];
  if (!NAME.test(owner) || !NAME.test(name) || name === "." || name === "..") return undefined;
  return { host: host.toLowerCase(), owner, name };
}

export function slugText(slug: RepoSlug): string {
  return `${slug.owner}/${slug.name}`;
}
