/**
 * The project view codemods read other files through (src/engine/context.ts): confined to the
 * root, cached, but not without bound (secrets-to-env reads every Python file of a project).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectFs } from "../src/engine/context.js";

describe("projectFs.readText", () => {
  it("keeps small texts for the next read, and reads again what would take the cache past its bound", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-context-"));
    try {
      fs.writeFileSync(path.join(root, "small.py"), "x = 1\n");
      // 3 MB each: the first two fit the 8 M-character bound, the third does not.
      for (const name of ["a.py", "b.py", "c.py"]) fs.writeFileSync(path.join(root, name), `# ${name}\n` + "y = 2\n".repeat(500_000));
      const pfs = projectFs(root);
      expect(pfs.readText("small.py")).toBe("x = 1\n");
      for (const name of ["a.py", "b.py", "c.py"]) expect(pfs.readText(name)?.startsWith(`# ${name}\n`)).toBe(true);
      for (const name of ["small.py", "a.py", "b.py", "c.py"]) fs.writeFileSync(path.join(root, name), "changed\n");
      expect(pfs.readText("small.py")).toBe("x = 1\n"); // cached
      expect(pfs.readText("a.py")?.startsWith("# a.py\n")).toBe(true); // cached
      expect(pfs.readText("c.py")).toBe("changed\n"); // past the bound: read again
      expect(pfs.readText("../outside.py")).toBeUndefined();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
