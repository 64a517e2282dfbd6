import type { Command } from "commander";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonRpcProvider } from "ethers";
import { ChargeRegistry__factory } from "../../../typechain-types";
import { BulkKeccak } from "../charges/hasher";
import { CHARGE_STATUS, anchoredManifestCid, verifyChargeProof } from "../verify/charges";
import type { MemberChargeView } from "../charges/chargeService";
import { recountCharges, type ChargeManifest, type RecountProgress } from "../charges/periodCharges";
import { gatewayJson } from "../sdk/client";
import { fetchVerifiedBytes } from "../store/gatewayClient";
import type { ConsortiumDescriptor } from "../verify/descriptor";
import { CliError, EXIT, output, positiveBigInt, readJsonFile, withPinnedChain, type GlobalOptions } from "./common";

const MAX_MANIFEST_BYTES = 1024 * 1024;
const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Recount progress on stderr: a bar on a terminal, a line per chunk otherwise. */
function progressBar(): (p: RecountProgress) => void {
  return ({ members, of }) => {
    const pct = of === 0 ? 100 : Math.floor((members / of) * 100);
    const width = 30;
    const bar = `[${"#".repeat(Math.round((pct / 100) * width)).padEnd(width)}] ${pct}% (${members.toLocaleString("en-US")} of ${of.toLocaleString("en-US")} members)`;
    process.stderr.write(process.stderr.isTTY ? `\r${bar}${members === of ? "\n" : ""}` : `${bar}\n`);
  };
}

/** A period's charges as the chain has them; exits 4 while the period is open or its charges pending. */
async function anchored(provider: JsonRpcProvider, descriptor: ConsortiumDescriptor, period: bigint) {
  const registry = ChargeRegistry__factory.connect(descriptor.contracts.chargeRegistry, provider);
  const charges = await registry.charges(period);
  const status = CHARGE_STATUS[Number(charges.status)];
  if (status === "none" || status === "rejected")
    throw new CliError(`period ${period} has no charges on chain yet (${status}): try again later`, EXIT.pending);
  return { charges, status };
}

/** Checks a member's charge against the chain alone: the root anchored for the period, and the proof. */
async function checkCharge(global: GlobalOptions, charge: MemberChargeView) {
  return withPinnedChain(global, async (provider, descriptor) => {
    const { charges, status } = await anchored(provider, descriptor, BigInt(charge.period));
    const ok =
      HASH.test(charge.memberHash) &&
      /^\d+$/.test(charge.amount) &&
      Array.isArray(charge.proof) &&
      verifyChargeProof(charges.root, {
        period: BigInt(charge.period),
        memberHash: charge.memberHash,
        amount: BigInt(charge.amount),
        proof: charge.proof,
      });
    return { ok, status, root: charges.root, charges };
  });
}

function describe(charge: MemberChargeView, check: Awaited<ReturnType<typeof checkCharge>>): string {
  const c = check.charges;
  const verdict = !check.ok
    ? "NOT VERIFIED: the proof does not lead to the root on chain"
    : check.status === "confirmed"
      ? "VERIFIED against the root on chain (confirmed by the members)"
      : `VERIFIED against the root on chain, ${check.status.toUpperCase()} (not yet confirmed by the members)`;
  return [
    `period ${charge.period}: member ${charge.memberHash} pays ${charge.amount}`,
    `  bill ${c.total} (fee ${c.fee}) over ${c.memberCount} members: ${c.charged} charged, ${c.carriedOut} carried to the next period`,
    `  root ${check.root}`,
    verdict,
  ].join("\n");
}

/** Checks a charge against the chain, prints it, and exits 0 confirmed, 1 not verified, 4 pending. */
async function report(global: GlobalOptions, charge: MemberChargeView): Promise<void> {
  const check = await checkCharge(global, charge);
  output(global, { ...charge, ok: check.ok, status: check.status }, describe(charge, check));
  if (!check.ok) throw new CliError("", EXIT.failed);
  if (check.status !== "confirmed") throw new CliError("", EXIT.pending);
}

/** Fetches a proposed period's manifest and member chunks by CID into `dir`, verifying every block. */
async function fetchPeriod(
  global: GlobalOptions,
  provider: JsonRpcProvider,
  descriptor: ConsortiumDescriptor,
  period: bigint,
  dir: string,
) {
  const { charges, status } = await anchored(provider, descriptor, period);
  if (status === "skipped") return { charges, status, manifest: undefined };
  const cid = await anchoredManifestCid(provider, descriptor, period, charges.manifestCidHash);
  if (!cid) throw new CliError(`no proposal event of period ${period} names the anchored manifest`, EXIT.failed);
  const manifest = JSON.parse(
    Buffer.from(await fetchVerifiedBytes(global.gateway, cid, MAX_MANIFEST_BYTES)).toString("utf8"),
  ) as ChargeManifest;
  for (const chunk of manifest.chunks ?? []) {
    if (typeof chunk.cid !== "string" || !/^members-\d{5}\.bin$/.test(chunk.file))
      throw new CliError(`the manifest lists a malformed member chunk`, EXIT.failed);
    writeFileSync(join(dir, chunk.file), await fetchVerifiedBytes(global.gateway, chunk.cid, chunk.members * 32));
  }
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  return { charges, status, manifest };
}

/** `aidproof charges show|verify|recount`: a member's charge and a period's charges, checked against the chain. */
export function addChargesCommands(program: Command): void {
  const charges = program
    .command("charges")
    .description("equal cost sharing: each period's bill apportioned to every member, anchored and confirmed");

  charges
    .command("show")
    .description(
      "a member's charge in a period from the gateway, its proof checked against the root on chain: exit 0 confirmed, 1 not verified, 4 pending",
    )
    .argument("<memberHash>", "the member's hash (0x and 64 hex digits)")
    .requiredOption("--period <n>", "the period")
    .option("--out <file>", "save the charge and its proof, for `charges verify` later")
    .action(async (memberHash: string, opts: { period: string; out?: string }) => {
      const global = program.opts<GlobalOptions>();
      if (!HASH.test(memberHash)) throw new CliError("<memberHash> must be 0x and 64 hex digits", EXIT.usage);
      const period = positiveBigInt(opts.period, "--period");
      const charge = await gatewayJson<MemberChargeView>(
        global.gateway,
        "GET",
        `/members/${memberHash}/charges?period=${period}`,
      );
      // The gateway answers for the member and period asked, or its answer proves nothing here.
      if (charge.period !== period.toString() || charge.memberHash?.toLowerCase() !== memberHash.toLowerCase())
        throw new CliError(
          `NOT VERIFIED: the gateway answered for member ${charge.memberHash} in period ${charge.period}, not the one asked`,
          EXIT.failed,
        );
      if (opts.out) writeFileSync(opts.out, `${JSON.stringify(charge, null, 2)}\n`);
      await report(global, charge);
    });

  charges
    .command("verify")
    .description(
      "verify a saved charge (from `charges show --out`) against the chain alone, no gateway: exit 0 confirmed, 1 not verified, 4 pending",
    )
    .argument("<file>", "the saved charge")
    .action(async (file: string) => {
      const global = program.opts<GlobalOptions>();
      const charge = readJsonFile(file) as MemberChargeView;
      if (typeof charge?.period !== "string" || !/^\d+$/.test(charge.period))
        throw new CliError(`${file} is not a saved charge`, EXIT.usage);
      await report(global, charge);
    });

  charges
    .command("recount")
    .description(
      "recount a period's charges: by period number, its manifest and member chunks fetched by the CIDs on chain (blocks verified), then checked against the chain; or a local manifest directory. Chunk hashes, count, ascending order (no member twice), the apportionment, the sum and the root. Exit 0 match, 1 not, 4 not yet proposed",
    )
    .argument("<period|dir>", "a period number, or a directory holding manifest.json and the member chunks")
    .action(async (target: string) => {
      const global = program.opts<GlobalOptions>();
      const keccak = await BulkKeccak.create();
      if (existsSync(target) && statSync(target).isDirectory()) {
        if (!existsSync(join(target, "manifest.json"))) throw new CliError(`no manifest.json in ${target}`, EXIT.usage);
        const recount = recountCharges(keccak, target, progressBar());
        const human = recount.ok
          ? `${recount.memberCount.toLocaleString("en-US")} members, ${recount.charged} charged, root ${recount.root}: MATCH`
          : ["NOT MATCHING:", ...recount.problems.map((p) => `  ${p}`)].join("\n");
        output(global, { ...recount, charged: recount.charged.toString() }, human);
        if (!recount.ok) throw new CliError("", EXIT.failed);
        return;
      }
      const period = positiveBigInt(target, "<period|dir>");
      const dir = mkdtempSync(join(tmpdir(), "aidproof-recount-"));
      try {
        await withPinnedChain(global, async (provider, descriptor) => {
          const fetched = await fetchPeriod(global, provider, descriptor, period, dir);
          const c = fetched.charges;
          if (!fetched.manifest) {
            output(
              global,
              { period: period.toString(), status: fetched.status, carriedOut: c.carriedOut.toString() },
              `period ${period} was skipped: nothing to charge, ${c.carriedOut} carried to the next period`,
            );
            return;
          }
          const recount = recountCharges(keccak, dir, progressBar());
          const problems = [...recount.problems];
          if (recount.root !== c.root.toLowerCase()) problems.push(`root ${recount.root}, on chain ${c.root}`);
          if (BigInt(recount.memberCount) !== c.memberCount)
            problems.push(`${recount.memberCount} members, on chain ${c.memberCount}`);
          if (fetched.manifest.total !== c.total.toString())
            problems.push(`the manifest's bill is ${fetched.manifest.total}, on chain ${c.total}`);
          if (recount.charged !== c.charged) problems.push(`${recount.charged} charged, on chain ${c.charged}`);
          const ok = problems.length === 0;
          const human = ok
            ? `period ${period} (${fetched.status}): ${recount.memberCount.toLocaleString("en-US")} members, bill ${c.total}, ${recount.charged} charged, ${c.carriedOut} carried, root ${recount.root}: MATCH`
            : ["NOT MATCHING:", ...problems.map((p) => `  ${p}`)].join("\n");
          output(
            global,
            {
              period: period.toString(),
              status: fetched.status,
              ok,
              problems,
              root: recount.root,
              charged: recount.charged.toString(),
            },
            human,
          );
          if (!ok) throw new CliError("", EXIT.failed);
          if (fetched.status !== "confirmed") throw new CliError("", EXIT.pending);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
