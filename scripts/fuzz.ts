/**
 * `npm run fuzz -- [--seconds 120] [--seed N] [--case I] [--stdlib 60] [--no-compile] [--write-every 50] [--json FILE]`:
 * the mutation fuzzer of test/fuzz/fuzzer.ts for longer than the bounded run in `npm test`.
 * Exit 1 when a property was violated; failing inputs (and their shrunk forms) are saved and
 * named in the output, and `--seed N --case I` replays one case.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { describeReport, fuzz, loadCorpus } from "../test/fuzz/fuzzer.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "120" },
    seed: { type: "string" },
    case: { type: "string" },
    stdlib: { type: "string", default: "60" },
    "no-compile": { type: "boolean", default: false },
    "write-every": { type: "string", default: "50" },
    json: { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});

const int = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return n;
};

const seed = int("seed", values.seed) ?? Math.floor(Math.random() * 2 ** 31);
const corpus = loadCorpus({ stdlibFiles: int("stdlib", values.stdlib) });
process.stdout.write(`fuzzing ${corpus.length} corpus files, seed ${seed}${values.case ? `, case ${values.case}` : `, ${values.seconds} s`}\n`);
const report = await fuzz({
  seed,
  corpus,
  seconds: values.case ? undefined : int("seconds", values.seconds),
  only: int("case", values.case),
  compile: !values["no-compile"],
  writeEvery: int("write-every", values["write-every"]),
  ...(values.verbose ? { onCase: (n: number, entry: string, m: readonly string[], size: number) => void process.stderr.write(`case ${n}: ${entry} (${m.join(", ")}; ${size} bytes)\n`) } : {}),
});
process.stdout.write(`${describeReport(report).join("\n")}\n`);
if (values.json) fs.writeFileSync(values.json, JSON.stringify(report, null, 2) + "\n");
process.exitCode = report.violations.length === 0 ? 0 : 1;
