import type { Command } from "commander";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BulkKeccak } from "../charges/hasher";
import { recountCharges, type RecountProgress } from "../charges/periodCharges";
import { CliError, EXIT, output, type GlobalOptions } from "./common";

/** Recount progress on stderr: a bar on a terminal, a line per chunk otherwise. */
function progressBar(): (p: RecountProgress) => void {
  return ({ members, of }) => {
    const pct = of === 0 ? 100 : Math.floor((members / of) * 100);
    const width = 30;
    const bar = `[${"#".repeat(Math.round((pct / 100) * width)).padEnd(width)}] ${pct}% (${members.toLocaleString("en-US")} of ${of.toLocaleString("en-US")} members)`;
    process.stderr.write(process.stderr.isTTY ? `\r${bar}${members === of ? "\n" : ""}` : `${bar}\n`);
  };
}

/** `aidproof charges recount <dir>`: a period's charges recounted from its manifest. */
export function addChargesCommands(program: Command): void {
  const charges = program.command("charges").description("equal cost sharing: a period's charges to every member");
  charges
    .command("recount")
    .description(
      "recount a period's charges from its manifest directory (manifest.json and member chunks): chunk hashes, member count, no member twice, the apportionment, the sum and the root. Exit 0 match, 1 not",
    )
    .argument("<dir>", "the period's manifest directory")
    .action(async (dir: string) => {
      const global = program.opts<GlobalOptions>();
      if (!existsSync(join(dir, "manifest.json"))) throw new CliError(`no manifest.json in ${dir}`, EXIT.usage);
      const recount = recountCharges(await BulkKeccak.create(), dir, progressBar());
      const human = recount.ok
        ? `${recount.memberCount.toLocaleString("en-US")} members, ${recount.charged} charged, root ${recount.root}: MATCH`
        : ["NOT MATCHING:", ...recount.problems.map((p) => `  ${p}`)].join("\n");
      output(global, { ...recount, charged: recount.charged.toString() }, human);
      if (!recount.ok) throw new CliError("", EXIT.failed);
    });
}
