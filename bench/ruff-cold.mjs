#!/usr/bin/env node
/**
 * ruff-wasm as a fresh process runs: load @astral-sh/ruff-wasm-nodejs, read the files pyremedy
 * discovers under PATH, check each once with the given rules, print the number of findings.
 * bench.mjs times it from spawn to exit, as it times pyremedy's CLI (for comparison only: the
 * target is measured against ruff warm, in the bench's own process).
 *
 *   node bench/ruff-cold.mjs PATH RULE[,RULE...]
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [dir, rules] = process.argv.slice(2);
const { discover } = await import(pathToFileURL(path.join(root, "dist", "src", "engine", "discover.js")).href);
const { PositionEncoding, Workspace } = await import("@astral-sh/ruff-wasm-nodejs");
const workspace = new Workspace({ lint: { select: rules.split(",") } }, PositionEncoding.Utf16);
let findings = 0;
for (const t of discover([dir], {}).targets) findings += workspace.check(fs.readFileSync(t.absPath, "utf8")).length;
process.stdout.write(`${findings}\n`);
