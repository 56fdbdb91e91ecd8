/**
 * secrets-to-env beyond the generic fixture suite: provider fixtures (kept on disk as templates
 * and expanded here, so no live-looking key is ever committed), the detection rules, naming
 * across a repository and against an existing .env, the ruff oracle, Python semantics of the
 * fix, the repository step (.env mode 0600, .env.example, .gitignore), the git history scan,
 * and the rule that no output but the patch ever carries a secret value.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { secretsToEnv } from "../codemods/secrets-to-env.js";
import type { EnvEntry, ProjectContext } from "../src/codemod.js";
import { selectCompatible } from "../src/engine/apply.js";
import { settleEnvFiles } from "../src/engine/env-files.js";
import { maskAll, maskSecret } from "../src/engine/mask.js";
import { runFix } from "../src/engine/run.js";
import { renderHtml } from "../src/reports/html.js";
import { renderJson } from "../src/reports/json.js";
import { renderPatch } from "../src/reports/patch.js";
import { renderSarif } from "../src/reports/sarif.js";
import { scanHistory } from "../src/engine/secret-history.js";
import { PythonFile } from "../src/python/file.js";
import { countSyntaxErrors, parsePython } from "../src/python/parser.js";
import { dotenvMap, formatDotenvLine, parseDotenv } from "../src/secrets/dotenv.js";
import { awsSecretMatch, findProviderSecrets, isCredentialName, isPlaceholder, rejectNameBasedValue } from "../src/secrets/patterns.js";
import { mayHoldSecret } from "../src/secrets/prefilter.js";
import { expandTemplate, FAKE_KINDS, fakeSecret } from "./fake-secrets.js";
import { FIXTURES, ROOT, runOn, setup } from "./helpers.js";
import { ruffFindings } from "./oracles/ruff.js";
import { runCli } from "./run-cli.js";

beforeAll(setup);

const DIR = path.join(FIXTURES, "secrets-to-env");
const PROVIDERS = path.join(DIR, "providers");
const UPDATE = process.env.UPDATE_SECRETS_FIXTURES === "1";

/** An in-memory project: `files` by relative path (a `.env` too). Each call is a fresh run. */
function memoryProject(files: Record<string, string>, relPath: string, includeTests = false): ProjectContext {
  const readText = (rel: string): string | undefined => files[rel];
  const listDir = (rel: string): string[] | undefined => {
    const prefix = rel ? `${rel}/` : "";
    const names = new Set<string>();
    for (const f of Object.keys(files)) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length).split("/");
      names.add(rest.length > 1 ? `${rest[0]}/` : rest[0]!);
    }
    return names.size ? [...names].sort() : undefined;
  };
  return { root: "/memory", relPath, readText, listDir, options: {}, includeTests };
}

function fix(files: Record<string, string>, relPath: string, includeTests = false) {
  return runOn(files[relPath]!, [secretsToEnv], relPath, memoryProject(files, relPath, includeTests));
}

function tmpdir(prefix = "pyremedy-secrets-"): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });
}

const SUPPRESSION = /#.*(noqa|nosec|pragma:\s*allowlist|pyremedy:\s*ignore|gitleaks:allow)/i;

/** ruff S105-S107 findings outside suppressed lines. */
function ruffSecrets(source: string): number[] {
  const lines = source.split(/\r?\n/);
  return ruffFindings(source, ["S105", "S106", "S107"]).filter((f) => !SUPPRESSION.test(lines[f.line - 1] ?? "")).map((f) => f.line);
}

function filesBelow(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesBelow(p, suffix) : e.name.endsWith(suffix) ? [p] : [];
  });
}

describe("provider fixtures (templates expanded at test time)", () => {
  const templates = fs.readdirSync(PROVIDERS).filter((n) => n.endsWith(".input.py.tmpl")).sort();

  it.each(templates)("%s", (name) => {
    const { text, values } = expandTemplate(fs.readFileSync(path.join(PROVIDERS, name), "utf8"));
    const outPath = path.join(PROVIDERS, name.replace(/\.input\.py\.tmpl$/, ".output.py"));
    const out = fix({ "app.py": text }, "app.py");
    expect(out.status, out.reason).not.toBe("failed");
    if (UPDATE) {
      if (out.status === "changed") fs.writeFileSync(outPath, out.after!);
      else fs.rmSync(outPath, { force: true });
    }
    if (!fs.existsSync(outPath)) {
      expect(out.status).toBe("unchanged");
      return;
    }
    expect(out.status).toBe("changed");
    const expected = fs.readFileSync(outPath, "utf8");
    expect(out.after).toBe(expected);
    // The values left the code, and went into env entries whole.
    const moved = out.changes.flatMap((c) => c.env ?? []).map((e) => e.value);
    for (const v of values) {
      const value = v.replace(/\\n/g, "\n");
      if (expected.includes(v) || expected.includes(value)) throw new Error(`${name}: a fake value stayed in the output`);
      if (text.includes(v) && !/(^|\n)("""|.*_PLACEHOLDER|.*EXAMPLE|.*TEMPLATE)/.test(v)) expect(moved.some((m) => m.includes(value) || value.includes(m))).toBe(true);
    }
    // Invariants of the generic suite: re-parses, converges, one pass without overlaps.
    const tree = parsePython(out.after!);
    expect(countSyntaxErrors(tree.rootNode)).toBe(0);
    tree.delete();
    expect(fix({ "app.py": out.after! }, "app.py").status).toBe("unchanged");
    const file = new PythonFile("app.py", text, parsePython(text), "\n");
    try {
      expect(selectCompatible(secretsToEnv.produce(file, memoryProject({ "app.py": text }, "app.py")).changes).deferred).toEqual([]);
    } finally {
      file.tree.delete();
    }
  });

  it("names every provider's variable canonically unless the code's name says more", () => {
    const { text } = expandTemplate(fs.readFileSync(path.join(PROVIDERS, "canonical-names.input.py.tmpl"), "utf8"));
    const env = fix({ "app.py": text }, "app.py").changes.flatMap((c) => c.env ?? []);
    const byValue = (kind: string): EnvEntry | undefined => env.find((e) => e.value === fakeSecret(kind));
    const expected: [string, string, string][] = [
      ["anthropic", "ANTHROPIC_API_KEY", "anthropic"],
      ["anthropic-admin", "ANTHROPIC_ADMIN_KEY", "anthropic"],
      ["openai", "OPENAI_API_KEY", "openai"],
      ["openai-legacy", "LEGACY_OPENAI_KEY", "openai"],
      ["aws-id", "AWS_ACCESS_KEY_ID", "aws"],
      ["aws-secret", "AWS_SECRET_ACCESS_KEY", "aws"],
      ["github", "GITHUB_TOKEN", "github"],
      ["github-fine", "GH_FINE_GRAINED", "github"],
      ["slack-bot", "SLACK_BOT_TOKEN", "slack"],
      ["slack-user", "SLACK_USER_TOKEN", "slack"],
      ["slack-webhook", "ALERTS_WEBHOOK", "slack"],
      ["stripe", "STRIPE_API_KEY", "stripe"],
      ["google", "GOOGLE_API_KEY", "google"],
      ["huggingface", "HF_TOKEN", "huggingface"],
      ["sendgrid", "SENDGRID_API_KEY", "sendgrid"],
      ["twilio", "TWILIO_API_KEY", "twilio"],
      ["gitlab", "GITLAB_TOKEN", "gitlab"],
      ["jwt-supabase", "SUPABASE_KEY", "jwt"],
      ["jwt", "SESSION_JWT", "jwt"],
    ];
    for (const [kind, name, provider] of expected) expect(byValue(kind), kind).toMatchObject({ name, provider });
    expect(env).toHaveLength(expected.length);
  });

  it("keeps no live-looking provider value on disk", () => {
    const stored = [...filesBelow(FIXTURES, ""), ...filesBelow(path.join(ROOT, "test"), ".ts"), ...filesBelow(path.join(ROOT, "src"), ".ts"), ...filesBelow(path.join(ROOT, "codemods"), ".ts")];
    const offenders = stored.filter((f) => findProviderSecrets(fs.readFileSync(f, "utf8")).length > 0);
    expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});

describe("detection rules", () => {
  it.each([
    ["anthropic", "anthropic", "ANTHROPIC_API_KEY"], ["anthropic-admin", "anthropic", "ANTHROPIC_ADMIN_KEY"], ["openai", "openai", "OPENAI_API_KEY"],
    ["openai-legacy", "openai", "OPENAI_API_KEY"], ["aws-id", "aws", "AWS_ACCESS_KEY_ID"], ["github", "github", "GITHUB_TOKEN"],
    ["github-fine", "github", "GITHUB_TOKEN"], ["slack-bot", "slack", "SLACK_BOT_TOKEN"], ["slack-user", "slack", "SLACK_USER_TOKEN"],
    ["slack-webhook", "slack", "SLACK_WEBHOOK_URL"], ["stripe", "stripe", "STRIPE_API_KEY"], ["google", "google", "GOOGLE_API_KEY"],
    ["huggingface", "huggingface", "HF_TOKEN"], ["sendgrid", "sendgrid", "SENDGRID_API_KEY"], ["twilio", "twilio", "TWILIO_API_KEY"],
    ["gitlab", "gitlab", "GITLAB_TOKEN"], ["jwt-supabase", "jwt", "SUPABASE_KEY"], ["jwt", "jwt", "JWT_TOKEN"], ["pem", "private-key", "PRIVATE_KEY"],
    ["postgres-url", "url", "DATABASE_URL"], ["redis-url", "url", "REDIS_URL"], ["amqp-url", "url", "AMQP_URL"], ["mongo-url", "url", "MONGODB_URI"],
  ])("%s is a %s credential named %s", (kind, provider, envName) => {
    const value = fakeSecret(kind);
    const found = findProviderSecrets(value);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ provider, envName, start: 0, end: value.length });
    // Inside a longer string, on token boundaries only.
    expect(findProviderSecrets(`Bearer ${value}`)[0]?.secret).toBe(value);
    if (!["pem", "postgres-url", "redis-url", "amqp-url", "mongo-url", "slack-webhook"].includes(kind)) expect(findProviderSecrets(`x${value}0`)).toEqual([]);
  });

  it("lets every provider's values through the prefilter", () => {
    for (const kind of FAKE_KINDS) expect(mayHoldSecret(`X = "${fakeSecret(kind)}"`) || kind === "aws-secret", kind).toBe(true);
    expect(mayHoldSecret(`AWS_KEY = "${fakeSecret("aws-secret")}"`)).toBe(true);
    expect(mayHoldSecret("import os\n\nprint('hello')\n")).toBe(false);
  });

  it("needs an AWS or secret-access-key name for the 40-character AWS secret", () => {
    const value = fakeSecret("aws-secret");
    expect(findProviderSecrets(value)).toEqual([]);
    expect(awsSecretMatch(value, "aws_secret_access_key")?.envName).toBe("AWS_SECRET_ACCESS_KEY");
    expect(awsSecretMatch(value, "AWS_SECRET")?.provider).toBe("aws");
    expect(awsSecretMatch(value, "checksum")).toBeUndefined();
    expect(awsSecretMatch("a".repeat(40), "aws_secret")).toBeUndefined();
  });

  it("rejects documentation and placeholder values of providers", () => {
    expect(findProviderSecrets(fakeSecret("aws-id-example"))).toEqual([]);
    expect(findProviderSecrets(fakeSecret("github-placeholder"))).toEqual([]);
    expect(findProviderSecrets("postgresql://user:password@localhost/db")).toEqual([]);
    expect(findProviderSecrets("redis://:${REDIS_PASSWORD}@cache:6379")).toEqual([]);
    expect(findProviderSecrets("postgresql://app@db/app")).toEqual([]);
  });

  it.each([
    ["password", true], ["DB_PASSWORD", true], ["dbPassword", true], ["passwd", true], ["pwd", true], ["smtp_pass", true],
    ["api_key", true], ["apiKey", true], ["X-Api-Key", true], ["ACCESS_KEY", true], ["private_key", true], ["client_secret", true],
    ["credentials", true], ["SECRET_KEY", true], ["auth_token", true], ["passphrase", true],
    ["PASSWORD_FIELD", false], ["TOKEN_URL", false], ["token_type", false], ["SECRET_NAME", false], ["PASS_THROUGH", false],
    ["bypass", false], ["key", false], ["CACHE_KEY", false], ["tokenizer", false], ["PRIVATE_KEY_PATH", false], ["MAX_TOKENS", false],
  ])("the name %s is a credential's name: %s", (name, expected) => {
    expect(isCredentialName(name)).toBe(expected);
  });

  it.each([
    ["", "too short"], ["hunter2", "too short"], ["changeme", "placeholder"], ["xxxxxxxxxxxx", "placeholder"], ["********", "placeholder"],
    ["<password>", "placeholder"], ["${DB_PASSWORD}", "placeholder"], ["{password}", "placeholder"], ["your-api-key", "placeholder"],
    ["example-token-1", "placeholder"], ["dummy-secret", "placeholder"], ["password", "names a field"], ["user_password", "names a field"],
    ["GITHUB_TOKEN", "names a field"], ["123456789", "not a credential"], ["https://auth.internal/oauth/token", "not a credential"],
    ["/etc/ssl/key.pem", "not a credential"], ["Enter your password", "placeholder"], ["ops@acme.io", "not a credential"],
  ])("the value %j next to a credential name is no credential: %s", (value, why) => {
    expect(rejectNameBasedValue(value, "db_password")).toBe(why);
  });

  it("takes real-looking values next to a credential name", () => {
    for (const v of ["s3cure-Billing-2024!", "Tr0ub4dor&3", "gw-secret-91c4be0d7f3a", "abcd1234efgh5678"]) expect(rejectNameBasedValue(v, "password")).toBeUndefined();
    expect(rejectNameBasedValue("db_password", "db_password")).toBe("names a field");
    expect(isPlaceholder("n0t-a-pl4ce-h0lder-9f8e")).toBe(false);
  });
});

describe("rewrites and notices", () => {
  it("reports what it cannot move safely, and changes nothing there", () => {
    const { text } = expandTemplate(fs.readFileSync(path.join(PROVIDERS, "cannot-move-safely.input.py.tmpl"), "utf8"));
    const out = fix({ "app.py": text }, "app.py");
    expect(out.status).toBe("unchanged");
    expect(out.notices.map((n) => [n.line, n.message])).toEqual([
      [3, "a provider-shaped credential in a bytes literal; move it to the environment by hand"],
      [4, "a provider-shaped credential in a formatted literal; move it to the environment by hand"],
      [5, "one string holds several credentials; move them to the environment by hand"],
      [6, "an anthropic credential in an implicitly concatenated string; move it to the environment by hand"],
    ]);
    const names = fs.readFileSync(path.join(DIR, "cannot-move-safely.input.py"), "utf8");
    expect(fix({ "app.py": names }, "app.py").notices.map((n) => n.line)).toEqual([3, 4, 6, 9]);
  });

  it("never prints a value in descriptions, notes or notices", () => {
    const cases = [...filesBelow(DIR, ".input.py"), ...fs.readdirSync(PROVIDERS).filter((n) => n.endsWith(".tmpl")).map((n) => path.join(PROVIDERS, n))];
    let seen = 0;
    for (const f of cases) {
      const text = f.endsWith(".tmpl") ? expandTemplate(fs.readFileSync(f, "utf8")).text : fs.readFileSync(f, "utf8");
      const out = fix({ "app.py": text }, "app.py");
      const values = out.changes.flatMap((c) => c.env ?? []).map((e) => e.value);
      const quoted = [...text.matchAll(/"([^"\n]{8,})"/g)].map((m) => m[1]!).filter((q) => values.some((v) => v.includes(q)));
      const said = JSON.stringify([out.changes.map((c) => [c.description, c.note]), out.notices]);
      for (const v of [...values, ...quoted]) expect(said.includes(v), `${path.basename(f)} prints a value`).toBe(false);
      seen += values.length;
    }
    expect(seen).toBeGreaterThan(40);
  });

  it("does what its documented example says", () => {
    expect(fix({ "app.py": secretsToEnv.example.before }, "app.py").after).toBe(secretsToEnv.example.after);
  });

  it("tells the reviewer how the variable gets set: the project's python-dotenv, or how to load .env", () => {
    const code = 'import os\n\nMAIL_PASSWORD = "M4il-Pa55-2024-q"\n';
    expect(fix({ "app.py": code, "requirements.txt": "requests\npython-dotenv==1.0.1\n" }, "app.py").changes[0]!.note).toMatch(/already uses python-dotenv: make sure load_dotenv\(\) runs/);
    expect(fix({ "app.py": code, "boot.py": "from dotenv import load_dotenv\nload_dotenv()\n" }, "app.py").changes[0]!.note).toMatch(/already uses python-dotenv/);
    const plain = fix({ "app.py": code }, "app.py").changes[0]!;
    expect(plain.note).toMatch(/^The program now needs MAIL_PASSWORD set in its environment .*load_dotenv\(\), `set -a; \. \.\/\.env; set \+a`/);
    expect(plain.safety).toBe("review");
  });

  it("leaves test files alone unless --include-tests, and says so", () => {
    const files = { "tests/test_api.py": 'import os\n\nAPI_TOKEN = "tst-8f7e6d5c4b3a2910"\n' };
    const skipped = fix(files, "tests/test_api.py");
    expect(skipped.status).toBe("unchanged");
    expect(skipped.notices).toEqual([expect.objectContaining({ line: 3, message: expect.stringMatching(/^test file: 1 credential literal.*--include-tests/) })]);
    expect(fix(files, "tests/test_api.py", true).after).toBe('import os\n\nAPI_TOKEN = os.environ["API_TOKEN"]\n');
  });

  it("names a value after an existing .env entry holding it, and never takes a .env name that holds another value", () => {
    const code = 'import os\n\nDB_PASSWORD = "N3w-Db-Pass-2025"\nLEGACY = dict(password="0ld-Db-Pass-2019")\n';
    const out = fix({ "app.py": code, ".env": "DB_PASSWORD=something-else\nOLD_DB_PASSWORD='0ld-Db-Pass-2019'\n" }, "app.py");
    expect(out.after).toBe('import os\n\nDB_PASSWORD = os.environ["DB_PASSWORD_2"]\nLEGACY = dict(password=os.environ["OLD_DB_PASSWORD"])\n');
  });

  it("does not drop an os.getenv fallback whose variable .env sets to another value", () => {
    const out = fix({ "app.py": 'import os\n\nTOKEN = os.getenv("SERVICE_TOKEN", "svc-F4llback-2024")\n', ".env": "SERVICE_TOKEN=svc-other\n" }, "app.py");
    expect(out.status).toBe("unchanged");
    expect(out.notices[0]?.message).toBe("SERVICE_TOKEN is already set to a different value in .env; this fallback was not changed");
  });

  it("adds `import os` once, with the first change the runner keeps", () => {
    const code = 'import json\n\nA_PASSWORD = "Skipped-Pw-2024-a"  # pyremedy: ignore\nB_PASSWORD = "Moved-Pw-2024-bb"\nC_PASSWORD = "Moved-Pw-2024-cc"\n';
    const out = fix({ "app.py": code }, "app.py");
    expect(out.after).toBe(
      'import json\nimport os\n\nA_PASSWORD = "Skipped-Pw-2024-a"  # pyremedy: ignore\nB_PASSWORD = os.environ["B_PASSWORD"]\nC_PASSWORD = os.environ["C_PASSWORD"]\n',
    );
    // The suppressed change reached the runner (so the marker counts as used) without carrying the import.
    expect(out.unusedIgnores ?? []).toEqual([]);
  });

  it("keeps the program's meaning: with the moved values in the environment, Python sees the same values", () => {
    const token = fakeSecret("github");
    const source = [
      "import os",
      "",
      'SMTP_PASSWORD = "hunter2-Mailer-2024"',
      "",
      "class Settings:",
      '    SECRET_KEY = "django-insecure-4k9#x2@p7q!m3z8v"',
      "",
      'def fetch(customer, billing_token="bt-5f2a9c7e1d3b8a4f"):',
      '    """Fetch."""',
      "    return billing_token",
      "",
      'REDIS_PASSWORD = os.environ.get("REDIS_PASSWORD", default="r3dis-Pa55-local")',
      `HEADERS = {"Authorization": "Bearer ${token}"}`,
      'DATABASES = {"default": {"PASSWORD": "Sh0p-db-Pa55w0rd"}}',
      'print(repr([SMTP_PASSWORD, Settings.SECRET_KEY, fetch("c"), fetch("c", "given"), REDIS_PASSWORD, HEADERS, DATABASES]))',
      "",
    ].join("\n");
    const out = fix({ "app.py": source }, "app.py");
    expect(out.status).toBe("changed");
    const dir = tmpdir();
    const run = (text: string, env: Record<string, string>) => {
      fs.writeFileSync(path.join(dir, "app.py"), text);
      return spawnSync("python3", ["app.py"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
    };
    const before = run(source, {});
    expect(before.status, before.stderr).toBe(0);
    const env = Object.fromEntries(out.changes.flatMap((c) => c.env ?? []).map((e) => [e.name, e.value]));
    expect(Object.keys(env).sort()).toEqual(["BILLING_TOKEN", "GITHUB_TOKEN", "PASSWORD", "REDIS_PASSWORD", "SECRET_KEY", "SMTP_PASSWORD"]);
    const after = run(out.after!, env);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    // Without the variables the program stops at once instead of running with a wrong credential.
    const missing = run(out.after!, {});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/KeyError: 'SMTP_PASSWORD'/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("the .env format", () => {
  const values = [
    "plain-Value_1.2", "with space", "amp&ersand!", "quote'single", 'quote"double', "dollar$sign", "${VAR}-like", "multi\nline", "back\\slash",
    "trailing\\", "#hash", " lead", "a=b=c", "tab\there", "ünïcödé-pässwörd", "=leading", "it's ${X}",
  ];

  it.each(values)("reads back %j exactly as written", (value) => {
    const line = formatDotenvLine("NAME", value);
    if (line === undefined) {
      expect(value).toMatch(/\$\{/);
      return;
    }
    expect(dotenvMap(`# comment\nOTHER=1\n${line}\nLAST=2\n`).get("NAME")).toBe(value);
  });

  it("writes values a POSIX shell reads back unchanged (set -a; . ./.env)", () => {
    const dir = tmpdir();
    const simple = values.filter((v) => !/[\n'\\]/.test(v));
    simple.forEach((v, i) => fs.writeFileSync(path.join(dir, `${i}.env`), `${formatDotenvLine("NAME", v)}\n`));
    const script = simple.map((_, i) => `. ./${i}.env; printf '%s\\0' "$NAME"`).join("; ");
    const got = execFileSync("sh", ["-c", `set -a; ${script}`], { cwd: dir, encoding: "utf8" }).split("\0").slice(0, -1);
    expect(got).toEqual(simple);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("parses python-dotenv's syntax: export, quotes, comments, multi-line values", () => {
    const text = 'export A=1\nB = "two words" # note\nC=\'single\'\n# D=commented\nE="line1\\nline2"\nF="multi\nline"\nG=bare # comment\n';
    expect(parseDotenv(text)).toEqual([
      { name: "A", value: "1" }, { name: "B", value: "two words" }, { name: "C", value: "single" },
      { name: "E", value: "line1\nline2" }, { name: "F", value: "multi\nline" }, { name: "G", value: "bare" },
    ]);
  });
});

describe("masking", () => {
  it("shows at most the provider prefix and the last four characters", () => {
    const key = fakeSecret("anthropic");
    expect(maskSecret(key)).toBe(`sk-ant-…${key.slice(-4)}`);
    expect(maskSecret("s3cure-Billing-2024!")).toBe("…024!");
    expect(maskSecret("short-pw")).toBe("****");
  });

  it("masks every line of a multi-line key, however the source wrote its line breaks", () => {
    const pem = fakeSecret("pem");
    const lines = pem.split("\n");
    const diff = `-KEY = """${pem}"""\n-KEY2 = "${pem.replace(/\n/g, "\\n")}"\n`;
    const masked = maskAll(diff, [pem]);
    for (const l of lines.slice(1, -1)) expect(masked).not.toContain(l.slice(0, 10));
  });
});

/** The sample repositories (plus a repo of provider keys) as git repositories in a temp dir. */
function workspace(): { dir: string; secrets: string[] } {
  const dir = tmpdir("pyremedy-secrets-ws-");
  fs.cpSync(path.join(FIXTURES, "sample-repos"), dir, { recursive: true });
  const { text, values } = expandTemplate(fs.readFileSync(path.join(PROVIDERS, "canonical-names.input.py.tmpl"), "utf8"));
  fs.mkdirSync(path.join(dir, "keys-repo", "keys"), { recursive: true });
  fs.writeFileSync(path.join(dir, "keys-repo", "keys", "clients.py"), text);
  for (const repo of ["ticket-bot", "geodata", "billing-service", "keys-repo"]) {
    git(path.join(dir, repo), "init", "-q");
    git(path.join(dir, repo), "add", "-A");
    git(path.join(dir, repo), "commit", "-qm", "initial");
  }
  const named = ["Tr0ub4dor&3-chatbot", "hd-4f9c2e71b8a04d6e9a3c5b7d1e2f8a6c", "s3cure-Billing-2024!", "gw-secret-91c4be0d7f3a", "geo-live-8d1f0c93a7b24e5f"];
  return { dir, secrets: [...named, ...values] };
}

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const { code, output } = await runCli(args, { cwd });
  return { code, out: output };
}

const PIECE = 10;

/** Every PIECE-character substring of `text`. */
function pieces(text: string): Set<string> {
  const all = new Set<string>();
  for (let i = 0; i + PIECE <= text.length; i++) all.add(text.slice(i, i + PIECE));
  return all;
}

/** Every way `secret` could be spelled in an output, and every 10-character piece of it past its provider prefix. */
function leaks(output: string, seen: Set<string>, secret: string): string[] {
  const spellings = [secret, JSON.stringify(secret).slice(1, -1), secret.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")];
  const found = spellings.filter((s) => output.includes(s));
  const prefix = maskSecret(secret).split("…")[0]!.length;
  for (const line of secret.split("\n")) {
    const start = line === secret ? prefix : 0;
    for (let i = start; i + PIECE <= line.length; i++) if (seen.has(line.slice(i, i + PIECE))) found.push(`…${line.slice(i, i + PIECE)}…`);
  }
  return found;
}

describe("no output carries a secret value", () => {
  const REPOS = ["ticket-bot", "geodata", "billing-service", "keys-repo"];

  it("in any report format, preview or --write; only the patch (it must apply) holds them", async () => {
    const { dir, secrets } = workspace();
    const outputs: Record<string, string> = {};
    const preview = await cli(["fix", "--select", "secrets-to-env", "--jobs", "1", ...REPOS], dir);
    expect(preview.code, preview.out).toBe(1);
    outputs.text = preview.out;
    const before = process.cwd();
    process.chdir(dir);
    try {
      const report = await runFix({ paths: REPOS, codemods: [secretsToEnv], jobs: 1 });
      outputs.json = renderJson(report);
      outputs.sarif = renderSarif(report, [secretsToEnv]);
      outputs.html = renderHtml(report);
      const patch = Buffer.from(renderPatch(report)).toString("utf8");
      expect(secrets.every((s) => patch.includes(s))).toBe(true);
    } finally {
      process.chdir(before);
    }
    const written = await cli(["fix", "--select", "secrets-to-env", "--jobs", "1", "--write", ...REPOS], dir);
    expect(written.code, written.out).toBe(0);
    outputs.write = written.out;
    for (const repo of REPOS) outputs[`${repo}/.env.example`] = fs.readFileSync(path.join(dir, repo, ".env.example"), "utf8");

    expect(outputs.text).toContain("Environment variables to set");
    expect(JSON.parse(outputs.json!).env.length).toBeGreaterThan(20);
    // The check can fail: a value, or ten characters of one, would be found.
    const planted = `note: ${secrets[0]!.slice(3, 15)}`;
    expect(leaks(planted, pieces(planted), secrets[0]!)).not.toEqual([]);
    for (const [where, output] of Object.entries(outputs)) {
      const seen = pieces(output);
      for (const secret of secrets) expect(leaks(output, seen, secret), `${where} leaks a secret`).toEqual([]);
    }
    // The values are in each repository's .env, and nowhere else.
    const dotenv = REPOS.flatMap((repo) => [...dotenvMap(fs.readFileSync(path.join(dir, repo, ".env"), "utf8")).values()]);
    for (const secret of secrets) expect(dotenv, "each value went to a .env").toContain(secret);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("the repository step: .env, .env.example, .gitignore", () => {
  const code = (pw: string): string => `import os\n\nDB_PASSWORD = "${pw}"\n`;

  it("creates .env with mode 0600, lists the names in .env.example and git-ignores .env", async () => {
    const dir = tmpdir();
    fs.mkdirSync(path.join(dir, "app"));
    fs.writeFileSync(path.join(dir, "app", "db.py"), code("Db-Pa55-2024-x!"));
    fs.writeFileSync(path.join(dir, "app", "mail.py"), 'import os\n\n\ndef send(to, smtp_password="Smtp-Pa55-2024-y"):\n    return to, smtp_password\n');
    fs.writeFileSync(path.join(dir, ".gitignore"), "__pycache__/");
    const preview = await runFix({ paths: [dir], codemods: [secretsToEnv], jobs: 1 });
    expect(preview.env.map((e) => [e.name, e.dotenv])).toEqual([["DB_PASSWORD", "new"], ["SMTP_PASSWORD", "new"]]);
    expect(fs.existsSync(path.join(dir, ".env"))).toBe(false);
    expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("__pycache__/");

    const report = await runFix({ paths: [dir], codemods: [secretsToEnv], write: true, jobs: 1 });
    expect(report.env.map((e) => [e.name, e.dotenv])).toEqual([["DB_PASSWORD", "added"], ["SMTP_PASSWORD", "added"]]);
    expect(fs.statSync(path.join(dir, ".env")).mode & 0o777).toBe(0o600);
    expect(Object.fromEntries(dotenvMap(fs.readFileSync(path.join(dir, ".env"), "utf8")))).toEqual({ DB_PASSWORD: "Db-Pa55-2024-x!", SMTP_PASSWORD: "Smtp-Pa55-2024-y" });
    expect(fs.readFileSync(path.join(dir, ".env.example"), "utf8")).toBe(
      "# app/db.py: moved out of the code by pyremedy secrets-to-env\nDB_PASSWORD=\n# app/mail.py: moved out of the code by pyremedy secrets-to-env\nSMTP_PASSWORD=\n",
    );
    expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("__pycache__/\n# Local secrets (pyremedy secrets-to-env)\n.env\n");
    expect(fs.readdirSync(dir).filter((n) => n.includes("pyremedy"))).toEqual([]);

    // Idempotent: nothing left to move, nothing written again.
    const env = fs.readFileSync(path.join(dir, ".env"), "utf8");
    const again = await runFix({ paths: [dir], codemods: [secretsToEnv], write: true, jobs: 1 });
    expect(again.summary.changes).toBe(0);
    expect(fs.readFileSync(path.join(dir, ".env"), "utf8")).toBe(env);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("never overwrites or duplicates an existing entry, keeps the file's mode, and leaves an already-ignored .env's .gitignore alone", async () => {
    const top = tmpdir();
    fs.mkdirSync(path.join(top, ".git"));
    fs.writeFileSync(path.join(top, ".gitignore"), "*.pyc\n.env\n");
    const dir = path.join(top, "svc");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "a.py"), code("Db-Pa55-new-2025"));
    fs.writeFileSync(path.join(dir, "b.py"), 'import os\n\nAPI_TOKEN = "Api-T0ken-kept-2024"\n');
    fs.writeFileSync(path.join(dir, ".env"), "DB_PASSWORD=old-Value-2019\r\nAPI_TOKEN=Api-T0ken-kept-2024", { mode: 0o640 });
    fs.chmodSync(path.join(dir, ".env"), 0o640);
    const report = await runFix({ paths: [dir], codemods: [secretsToEnv], write: true, jobs: 1 });
    expect(fs.readFileSync(path.join(dir, "a.py"), "utf8")).toBe('import os\n\nDB_PASSWORD = os.environ["DB_PASSWORD_2"]\n');
    expect(report.env.map((e) => [e.name, e.dotenv])).toEqual([["DB_PASSWORD_2", "added"], ["API_TOKEN", "present"]]);
    expect(fs.readFileSync(path.join(dir, ".env"), "utf8")).toBe("DB_PASSWORD=old-Value-2019\r\nAPI_TOKEN=Api-T0ken-kept-2024\r\nDB_PASSWORD_2=Db-Pa55-new-2025\r\n");
    expect(fs.statSync(path.join(dir, ".env")).mode & 0o777).toBe(0o640);
    expect(fs.existsSync(path.join(dir, ".gitignore"))).toBe(false);
    fs.rmSync(top, { recursive: true, force: true });
  });

  it("reports a name two files filled with different values, and writes neither", async () => {
    const dir = tmpdir();
    const outcome = await settleEnvFiles(dir, [
      { relPath: "a.py", entry: { name: "TOKEN", value: "first-T0ken-aaa" } },
      { relPath: "b.py", entry: { name: "TOKEN", value: "second-T0ken-bbb" } },
      { relPath: "b.py", entry: { name: "OTHER", value: "other-T0ken-ccc" } },
    ], { write: true, history: false });
    expect(outcome.variables.map((v) => [v.name, v.dotenv])).toEqual([["TOKEN", "conflict"], ["OTHER", "added"]]);
    expect(outcome.variables[0]!.message).toMatch(/several files moved different values under TOKEN/);
    expect(fs.readFileSync(path.join(dir, ".env"), "utf8")).toBe("OTHER=other-T0ken-ccc\n");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to write through a symlinked .env and says so as a failed file", async () => {
    const dir = tmpdir();
    const elsewhere = path.join(tmpdir(), "target.env");
    fs.writeFileSync(elsewhere, "");
    fs.symlinkSync(elsewhere, path.join(dir, ".env"));
    fs.writeFileSync(path.join(dir, "app.py"), code("Db-Pa55-link-2024"));
    const report = await runFix({ paths: [dir], codemods: [secretsToEnv], write: true, jobs: 1 });
    expect(report.files.find((f) => f.path === ".env")).toMatchObject({ status: "failed", reason: ".env is not a regular file; not written" });
    expect(report.env[0]).toMatchObject({ name: "DB_PASSWORD", dotenv: "failed" });
    expect(fs.readFileSync(elsewhere, "utf8")).toBe("");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("git history", () => {
  it("finds committed values in a real repository without ever passing one to git on its command line", async () => {
    const dir = tmpdir();
    const committed = "Committed-Pw-2023-zz";
    fs.writeFileSync(path.join(dir, "app.py"), `import os\n\nDB_PASSWORD = "${committed}"\n`);
    git(dir, "init", "-q");
    git(dir, "add", "app.py");
    git(dir, "commit", "-qm", "add db settings");
    const sha = git(dir, "rev-parse", "HEAD").trim();
    fs.writeFileSync(path.join(dir, "later.py"), 'import os\n\nAPI_TOKEN = "Uncommitted-T0ken-99"\n');

    // A git that logs its arguments in front of the real one.
    const bin = tmpdir();
    const log = path.join(bin, "argv.log");
    const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(bin, "git"), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const pathBefore = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${pathBefore}`;
    let report;
    try {
      report = await runFix({ paths: [dir], codemods: [secretsToEnv], jobs: 1 });
    } finally {
      process.env.PATH = pathBefore;
    }
    expect(report.env.find((e) => e.name === "DB_PASSWORD")?.history).toEqual({ commit: sha.slice(0, 12), commits: 1 });
    expect(report.env.find((e) => e.name === "API_TOKEN")?.history).toBeUndefined();
    const argv = fs.readFileSync(log, "utf8");
    expect(argv).toContain("log");
    expect(argv).not.toContain(committed);
    expect(argv).not.toContain("Uncommitted-T0ken-99");

    // Removing it in a later commit keeps it in the history: two commits carry it.
    fs.writeFileSync(path.join(dir, "app.py"), "import os\n");
    git(dir, "commit", "-qam", "remove it");
    expect((await scanHistory(dir, [committed]))?.hits.get(committed)?.commits).toBe(2);
    expect(await scanHistory(tmpdir(), [committed])).toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(bin, { recursive: true, force: true });
  });
});

// Last: loading ruff's WASM makes every later child process of this worker slow to start.
describe("ruff oracle (S105-S107)", () => {
  it("finds nothing left in any expected output, outside suppressed lines", () => {
    const outputs = filesBelow(DIR, ".output.py");
    expect(outputs.length).toBeGreaterThan(25);
    let flaggedInputs = 0;
    for (const out of outputs) {
      expect(ruffSecrets(fs.readFileSync(out, "utf8")), path.relative(DIR, out)).toEqual([]);
      const input = out.replace(/\.output\.py$/, ".input.py");
      if (fs.existsSync(input) && ruffSecrets(fs.readFileSync(input, "utf8")).length > 0) flaggedInputs++;
    }
    // The oracle can fail: ruff does flag the inputs.
    expect(flaggedInputs).toBeGreaterThan(15);
  });

  it("finds nothing left in the sample repositories once fixed", () => {
    let before = 0;
    for (const file of filesBelow(path.join(FIXTURES, "sample-repos"), ".py")) {
      const rel = path.relative(path.join(FIXTURES, "sample-repos"), file).split(path.sep).join("/");
      const text = fs.readFileSync(file, "utf8");
      const files = { [rel]: text };
      const out = fix(files, rel);
      before += ruffSecrets(text).length;
      expect(ruffSecrets(out.after ?? text), rel).toEqual([]);
    }
    expect(before).toBe(4);
  });
});
