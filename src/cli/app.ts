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
  return cli;
}
