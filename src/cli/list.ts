import { Command, Option } from "clipanion";
import { codemods } from "../../codemods/index.js";

export class ListCommand extends Command {
  static override paths = [["list"]];
  static override usage = Command.Usage({
    description: "List the codemods: id, safety and title",
    examples: [["Machine-readable catalogue", "$0 list --json"]],
  });

  json = Option.Boolean("--json", false, { description: "Print the catalogue as JSON" });

  async execute(): Promise<number> {
    if (this.json) {
      const data = codemods.map(({ id, title, what, why, safety, safetyNote, example, peers, references, options }) => ({
        id, title, what, why, safety, safetyNote, example, peers, references, options: options ?? [],
      }));
      this.context.stdout.write(JSON.stringify(data, null, 2) + "\n");
      return 0;
    }
    const width = Math.max(...codemods.map((c) => c.id.length));
    for (const c of codemods) this.context.stdout.write(`${c.id.padEnd(width)}  ${c.safety.padEnd(6)}  ${c.title}\n`);
    return 0;
  }
}
