import { Builtins, Cli } from "clipanion";
import { VERSION } from "../version.js";
import { BranchCommand } from "./branch.js";
import { ExplainCommand } from "./explain.js";
import { FixCommand } from "./fix.js";
import { ListCommand } from "./list.js";

export function buildCli(): Cli {
  const cli = new Cli({ binaryLabel: "pyremedy", binaryName: "pyremedy", binaryVersion: VERSION });
  cli.register(FixCommand);
  cli.register(ListCommand);
  cli.register(ExplainCommand);
  cli.register(BranchCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return usageErrorsExit2(cli);
}

/**
 * clipanion answers 1 when it prints an error (bad flag, unknown codemod, invalid
 * configuration), but 1 means "a preview found changes" here: DESIGN.md says 2.
 */
function usageErrorsExit2(cli: Cli): Cli {
  let failed = false;
  const format = cli.error.bind(cli);
  const run = cli.run.bind(cli) as (input: string[], context?: object) => Promise<number>;
  cli.error = (error, opts) => {
    failed = true;
    return format(error, opts);
  };
  (cli as { run: typeof run }).run = async (input, context) => {
    failed = false;
    const code = await run(input, context);
    return failed ? 2 : code;
  };
  return cli;
}
