/**
 * Regenerate the README's codemod table from codemod metadata: `npm run docs`.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { codemods } from "../codemods/index.js";
import { replaceGeneratedTable } from "../src/docs.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const readme = [path.join(here, "..", "README.md"), path.join(here, "..", "..", "README.md")].find((p) => fs.existsSync(p))!;
const before = fs.readFileSync(readme, "utf8");
const after = replaceGeneratedTable(before, codemods);
if (after !== before) fs.writeFileSync(readme, after);
process.stdout.write(after !== before ? "README.md codemod table updated\n" : "README.md codemod table is up to date\n");
