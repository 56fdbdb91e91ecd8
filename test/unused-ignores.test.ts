/**
 * `# pyremedy: ignore` comments that suppressed nothing: found by the engine, reported with
 * --report-unused-ignores only.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { codemodById } from "../codemods/index.js";
import type { Codemod } from "../src/codemod.js";
import { runOn, setup } from "./helpers.js";
import { runCli, type CliRun } from "./run-cli.js";

beforeAll(setup);

/** Edits every `needle` call's name to `replacement`; a multi-line call is one statement. */
function renamer(id: string, needle: string, replacement: string): Codemod {
  return {
    id, title: id, what: "", why: "", safety: "safe", safetyNote: "", example: { before: "", after: "" }, peers: ["X100"], references: [],
    mayApply: (t) => t.includes(`${needle}(`),
    produce(file) {
      const changes = [];
      for (let i = file.text.indexOf(`${needle}(`); i >= 0; i = file.text.indexOf(`${needle}(`, i + 1)) {
        const { line, column } = file.position(i);
        changes.push({ codemod: id, line, column, safety: "safe" as const, description: "rename", edits: [{ start: i, end: i + needle.length, text: replacement }] });
      }
      return { changes };
    },
  };
}
const one = renamer("one", "alpha", "ALPHA");
const two = renamer("two", "beta", "BETA");
/** Inserts a line at the top: every later line moves down by one. */
const header: Codemod = {
  ...renamer("header", "", ""),
  mayApply: (t) => !t.startsWith("# header"),
  produce: (file) => ({ changes: [{ codemod: "header", line: 1, column: 1, safety: "safe", description: "header", edits: [{ start: 0, end: 0, text: "# header\n" }] }] }),
};

const unusedOf = (source: string, codemods: readonly Codemod[]) => runOn(source, codemods).unusedIgnores ?? [];

describe("the engine finds unused `# pyremedy: ignore` comments", () => {
  it("a marker that silenced a change is used; the others are not", () => {
    const src = [
      "alpha(1)  # pyremedy: ignore[one]", // used
      "alpha(2)  # pyremedy: ignore", // used (bare)
      "beta(3)  # pyremedy: ignore[one]", // one had nothing here
      "x = 4  # pyremedy: ignore", // nothing here at all
      "alpha(5)  # noqa: X100", // another tool's marker: not ours to judge
      "",
    ].join("\n");
    const out = runOn(src, [one, two]);
    expect(out.status).toBe("changed");
    expect(out.after).toBe(src.replace("beta(3)", "BETA(3)"));
    expect(out.unusedIgnores).toEqual([
      { line: 3, column: 10, marker: "# pyremedy: ignore[one]", unused: ["one"] },
      { line: 4, column: 8, marker: "# pyremedy: ignore", unused: [] },
    ]);
  });

  it("judges each id; ids of codemods that did not run are not judged; unknown ids always are", () => {
    const src = "alpha(1)  # pyremedy: ignore[one, two]\nalpha(2)  # pyremedy: ignore[one, tow]\n";
    expect(unusedOf(src, [one, two])).toEqual([
      { line: 1, column: 11, marker: "# pyremedy: ignore[one, two]", unused: ["two"] },
      { line: 2, column: 11, marker: "# pyremedy: ignore[one, tow]", unused: ["tow"], unknown: ["tow"] },
    ]);
    // Without `two` in the run (nor in the registry), nothing says `two` is a codemod.
    expect(unusedOf(src, [one])[0]).toEqual({ line: 1, column: 11, marker: "# pyremedy: ignore[one, two]", unused: ["two"], unknown: ["two"] });
    // A registry codemod left out of the run (--select) may need its marker in another run: not judged.
    expect(unusedOf("alpha(1)  # pyremedy: ignore[one, verify-ssl]\nx = 1  # pyremedy: ignore[verify-ssl]\n", [one])).toEqual([]);
  });

  it("a marker on a multi-line statement's first line is used; one on its last line is not", () => {
    const src = "result = alpha(  # pyremedy: ignore[one]\n    1,\n)\nvalue = [\n    alpha(2),\n]  # pyremedy: ignore[one]\n";
    const out = runOn(src, [one]);
    expect(out.after).toBe(src.replace("alpha(2)", "ALPHA(2)"));
    expect(out.unusedIgnores).toEqual([{ line: 6, column: 4, marker: "# pyremedy: ignore[one]", unused: ["one"] }]);
  });

  it("reports lines of the file as it was, although the fix moved them", () => {
    const src = "alpha(1)  # pyremedy: ignore[one]\nx = 2  # pyremedy: ignore[one]\n";
    const out = runOn(src, [header, one]);
    expect(out.after).toBe(`# header\n${src}`);
    expect(out.unusedIgnores).toEqual([{ line: 2, column: 8, marker: "# pyremedy: ignore[one]", unused: ["one"] }]);
  });

  it("looks only at comments, also in files no codemod could change; not in files it cannot parse", () => {
    expect(unusedOf('s = "# pyremedy: ignore"\n', [one])).toEqual([]);
    expect(unusedOf("x = 1  # pyremedy: ignore\n", [one])).toEqual([{ line: 1, column: 8, marker: "# pyremedy: ignore", unused: [] }]);
    const broken = runOn("def f(:\n    pass  # pyremedy: ignore\n", [one]);
    expect(broken).toMatchObject({ status: "unchanged" });
    expect(broken.unusedIgnores).toBeUndefined();
  });

  it("works with a real codemod's suppressed fixture", () => {
    const verify = codemodById("verify-ssl")!;
    const src = 'import requests\nrequests.get("https://a", verify=False)  # pyremedy: ignore[verify-ssl]\nrequests.get("https://b")  # pyremedy: ignore[verify-ssl]\n';
    const out = runOn(src, [verify]);
    expect(out.status).toBe("unchanged");
    expect(out.unusedIgnores).toEqual([{ line: 3, column: 28, marker: "# pyremedy: ignore[verify-ssl]", unused: ["verify-ssl"] }]);
  });
});

describe("pyremedy fix --report-unused-ignores", () => {
  const run = (args: string[]): Promise<CliRun> => runCli(args);

  it("lists them (text and JSON) and exits 1; without the flag they are not reported", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-unused-"));
    fs.writeFileSync(path.join(dir, "app.py"), 'import requests\nrequests.get("https://a", verify=False)  # pyremedy: ignore[verify-ssl]\nTIMEOUT = 3  # pyremedy: ignore\n');
    const plain = await run(["fix", "--select", "verify-ssl", dir]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain("Unused suppressions");
    expect(JSON.parse((await run(["fix", "--select", "verify-ssl", "--format", "json", dir])).stdout).files[0].unusedIgnores).toBeUndefined();

    const text = await run(["fix", "--select", "verify-ssl", "--report-unused-ignores", dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`Unused suppressions (they silenced nothing):\n  ${dir}/app.py:3:14 # pyremedy: ignore\n`);
    const json = JSON.parse((await run(["fix", "--select", "verify-ssl", "--report-unused-ignores", "--format", "json", dir])).stdout);
    expect(json.files[0]).toMatchObject({ path: "app.py", status: "unchanged", unusedIgnores: [{ line: 3, column: 14, marker: "# pyremedy: ignore", unused: [] }] });
  });
});
