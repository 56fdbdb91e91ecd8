#!/usr/bin/env node
import { Cli } from "clipanion";
import { cleanupTemps } from "../engine/write.js";
import { buildCli } from "./app.js";

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    cleanupTemps();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

const cli = buildCli();
const code = await cli.run(process.argv.slice(2), Cli.defaultContext);
process.exitCode = code;
