import { Command, Option, UsageError } from "clipanion";
import { codemodById, codemods } from "../../codemods/index.js";
import { explainCodemod } from "../docs.js";

export class ExplainCommand extends Command {
  static override paths = [["explain"]];
  static override usage = Command.Usage({
    description: "Explain a codemod: what it does, why, an example, fix safety",
    examples: [["Read about verify-ssl", "$0 explain verify-ssl"]],
  });

  id = Option.String({ name: "id" });

  async execute(): Promise<number> {
    const codemod = codemodById(this.id);
    if (!codemod) throw new UsageError(`unknown codemod '${this.id}' (known: ${codemods.map((c) => c.id).join(", ")})`);
    this.context.stdout.write(explainCodemod(codemod));
    return 0;
  }
}
