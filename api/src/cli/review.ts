import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { isHexString } from "ethers";
import { ClaimRegistry__factory } from "../../../typechain-types";
import { cachedFetch, computeEvidenceSet } from "../evidence/evidenceSet";
import { fetchVerifiedBytes } from "../store/gatewayClient";
import { z } from "zod";
import { Reviewer } from "../review/reviewer";
import { parseReasonDocument, ReasonDocumentError } from "../verify/reason";
import {
  CliError,
  EXIT,
  loadDescriptor,
  output,
  positiveBigInt,
  readJsonFile,
  rpcFor,
  signingClient,
  withPinnedChain,
  type GlobalOptions,
} from "./common";

const key = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const memberKeys = z.object({ name: z.string().optional(), validatorKey: key, encryptionKey: key.optional() });
/** A member's own key file, or the local stack's keys.json (data/keys.json) with every member's. */
const keyFileSchema = z.union([memberKeys, z.object({ members: z.array(memberKeys).min(1) })]);

interface MemberOptions {
  memberKeys: string;
  member: string;
}

function memberOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--member-keys <file>", "the member's key file (validator and encryption keys; never sent anywhere)")
        .env("AIDPROOF_MEMBER_KEYS")
        .default("./data/keys.json"),
    )
    .addOption(
      new Option("--member <name|number>", "which member of a key file holding several (the local stack's)")
        .env("AIDPROOF_MEMBER")
        .default("1"),
    );
}

function loadMember(options: MemberOptions): z.infer<typeof memberKeys> {
  if (!existsSync(options.memberKeys))
    throw new CliError(`no member key file at ${options.memberKeys}: pass --member-keys FILE`, EXIT.usage);
  const parsed = keyFileSchema.safeParse(readJsonFile(options.memberKeys));
  if (!parsed.success) throw new CliError(`${options.memberKeys} is not a member key file`, EXIT.usage);
  if (!("members" in parsed.data)) return parsed.data;
  const members = parsed.data.members;
  const byNumber = /^\d+$/.test(options.member) ? members[Number(options.member) - 1] : undefined;
  const chosen = byNumber ?? members.find((m) => m.name === options.member);
  if (!chosen)
    throw new CliError(
      `no member "${options.member}" in ${options.memberKeys} (members: ${members.map((m, i) => `${i + 1} ${m.name ?? ""}`).join(", ")})`,
      EXIT.usage,
    );
  return chosen;
}

async function reviewer(global: GlobalOptions, options: MemberOptions): Promise<Reviewer> {
  const member = loadMember(options);
  const descriptor = await loadDescriptor(global.consortium);
  return new Reviewer({
    rpcUrl: rpcFor(global, descriptor),
    descriptor,
    gatewayUrl: global.gateway,
    validatorKey: member.validatorKey,
    encryptionKey: member.encryptionKey,
  });
}

async function withReviewer<T>(
  program: Command,
  options: MemberOptions,
  work: (r: Reviewer, global: GlobalOptions) => Promise<T>,
): Promise<T> {
  const global = program.opts<GlobalOptions>();
  const r = await reviewer(global, options);
  try {
    return await work(r, global);
  } finally {
    r.destroy();
  }
}

/** `aidproof review ...` for member organizations, and `aidproof claim dispute` for claimants. */
export function addReviewCommands(program: Command, claim: Command): void {
  const review = program
    .command("review")
    .description("claim review for member organizations: keys stay on this machine; reads and writes go to --rpc");

  memberOptions(review.command("list"))
    .description("claims waiting for this member: to start reviewing, or to decide")
    .action(async (opts: MemberOptions) =>
      withReviewer(program, opts, async (r, global) => {
        const queue = await r.queue();
        const lines = queue.map((q) => `  claim ${q.claimId}  ${q.state}  asks ${q.amountRequested}  -> ${q.action}`);
        output(global, queue, [`member ${r.address}: ${queue.length} claim(s) waiting`, ...lines].join("\n"));
      }),
    );

  memberOptions(review.command("start"))
    .description("start reviewing a filed claim: its evidence set is the confirmed evidence anchored before this")
    .argument("<claimId>")
    .action(async (claimId: string, opts: MemberOptions) =>
      withReviewer(program, opts, async (r, global) => {
        const txHash = await r.startReview(positiveBigInt(claimId, "claimId"));
        output(global, { claimId, txHash }, `claim ${claimId} is under review (tx ${txHash})`);
      }),
    );

  memberOptions(review.command("open"))
    .description(
      "recompute the claim's evidence set from the chain and the manifests, fetch every item by CID (verified), decrypt private ones with this member's key into DIR",
    )
    .argument("<claimId>")
    .requiredOption("--out <dir>", "where to write the evidence (files are readable by you only)")
    .action(async (claimId: string, opts: MemberOptions & { out: string }) =>
      withReviewer(program, opts, async (r, global) => {
        const id = positiveBigInt(claimId, "claimId");
        const { set, items } = await r.open(id, opts.out);
        const endorsements = await r.endorsements(id);
        const lines = [
          `claim ${claimId}: evidence set of ${set.items.length} item(s), anchored before block ${set.cutoffBlock}`,
          ...items.map((i) => `  ${i.kind.padEnd(7)} ${i.cid}  -> ${i.path}`),
          `evidence-set root ${set.root}`,
          ...(endorsements.length > 0
            ? [
                "endorsed so far (adopt one with --reason-cid; a member's new endorsement replaces its old one):",
                ...endorsements.map(
                  (e) =>
                    `  ${e.validator}: ${e.decision}${e.decision === "approve" ? ` ${e.amount}` : ""}  reason ${e.reasonCid}${e.evidenceRoot === set.root ? "" : "  (OTHER evidence root)"}`,
                ),
              ]
            : []),
          `decide with: aidproof review decide ${claimId} approve|reject --amount N --reason reason.json --evidence-root ${set.root}`,
        ];
        output(
          global,
          { claimId, cutoffBlock: set.cutoffBlock, root: set.root, items, endorsements },
          lines.join("\n"),
        );
      }),
    );

  memberOptions(review.command("decide"))
    .description("endorse a decision over the evidence set you reviewed, with its public reason document")
    .argument("<claimId>")
    .addArgument(new Command().createArgument("<decision>", "approve or reject").choices(["approve", "reject"]))
    .option("--amount <n>", "amount approved, in the plan's smallest unit (approve only)")
    .option("--reason <file>", "the public reason document (JSON; see README, Reviewing claims)")
    .option("--reason-cid <cid>", "adopt the reason another member endorsed (printed by review open)")
    .requiredOption("--evidence-root <root>", "the evidence-set root you reviewed (printed by review open)")
    .action(
      async (
        claimId: string,
        decision: "approve" | "reject",
        opts: MemberOptions & { amount?: string; reason?: string; reasonCid?: string; evidenceRoot: string },
      ) => {
        if (!isHexString(opts.evidenceRoot, 32))
          throw new CliError("--evidence-root must be 0x and 64 hex digits", EXIT.usage);
        if (decision === "approve" && opts.amount === undefined)
          throw new CliError("approve needs --amount", EXIT.usage);
        if (decision === "reject" && opts.amount !== undefined && opts.amount !== "0")
          throw new CliError("reject approves nothing: drop --amount", EXIT.usage);
        if ((opts.reason === undefined) === (opts.reasonCid === undefined))
          throw new CliError(
            "give the reason: --reason FILE, or --reason-cid CID to adopt another member's",
            EXIT.usage,
          );
        let fromFile;
        try {
          fromFile = opts.reason === undefined ? undefined : parseReasonDocument(readJsonFile(opts.reason));
        } catch (error) {
          if (error instanceof ReasonDocumentError) throw new CliError(`${opts.reason}: ${error.message}`, EXIT.usage);
          throw error;
        }
        process.stderr.write(
          "note: the reason document is PUBLIC: it is stored in IPFS and announced to every member. It must hold no name, ID number, diagnosis in words or other personal data.\n",
        );
        await withReviewer(program, opts, async (r, global) => {
          const reason = fromFile ?? (await r.reason(opts.reasonCid!));
          const endorsed = await r.decide(positiveBigInt(claimId, "claimId"), {
            decision,
            amount: positiveBigInt(opts.amount ?? "0", "--amount"),
            reason,
            evidenceRoot: opts.evidenceRoot,
          });
          output(
            global,
            endorsed,
            `endorsed: ${decision} claim ${claimId} (tx ${endorsed.txHash}); reason ${endorsed.reasonCid}; ${endorsed.decided ? "DECIDED: the M-th matching endorsement" : "waiting for more members"}`,
          );
        });
      },
    );

  memberOptions(review.command("pay"))
    .description("record the payout of an approved claim with this member's payment reference")
    .argument("<claimId>")
    .requiredOption("--reference <ref>", "the payment reference (1 to 31 bytes of text)")
    .action(async (claimId: string, opts: MemberOptions & { reference: string }) =>
      withReviewer(program, opts, async (r, global) => {
        const txHash = await r.recordPayout(positiveBigInt(claimId, "claimId"), opts.reference);
        output(
          global,
          { claimId, txHash, reference: opts.reference },
          `claim ${claimId} paid, reference ${opts.reference} (tx ${txHash})`,
        );
      }),
    );

  claim
    .command("evidence-set")
    .description(
      "recompute a claim's evidence set from the chain and the batch manifests (fetched by CID from --gateway, verified) and check the decided root against it: exit 0 match or undecided, 1 not",
    )
    .argument("<claimId>")
    .action(async (claimId: string) => {
      const global = program.opts<GlobalOptions>();
      await withPinnedChain(global, async (provider, descriptor) => {
        const id = positiveBigInt(claimId, "claimId");
        const set = await computeEvidenceSet(
          {
            provider,
            contracts: descriptor.contracts,
            deploymentBlock: descriptor.deploymentBlock,
            fetch: cachedFetch((cid) => fetchVerifiedBytes(global.gateway, cid, 32 * 1024 * 1024)),
          },
          id,
        );
        const decided = (await ClaimRegistry__factory.connect(descriptor.contracts.claimRegistry, provider).claim(id))
          .evidenceRoot;
        const undecided = /^0x0+$/.test(decided);
        const matches = undecided || decided.toLowerCase() === set.root.toLowerCase();
        const lines = [
          `claim ${claimId}: evidence set of ${set.items.length} item(s), anchored before block ${set.cutoffBlock}`,
          ...set.items.map((i) => `  ${i.item.kind === 1 ? "private" : "public "} ${i.item.cid}  leaf ${i.leafHash}`),
          `root ${set.root}`,
          undecided
            ? "not decided yet"
            : matches
              ? "the decision's root MATCHES"
              : `the decision's root ${decided} DOES NOT MATCH`,
        ];
        output(
          global,
          {
            claimId,
            cutoffBlock: set.cutoffBlock,
            root: set.root,
            decided: undecided ? null : decided,
            matches,
            items: set.items,
          },
          lines.join("\n"),
        );
        if (!matches) throw new CliError("", EXIT.failed);
      });
    });

  claim
    .command("dispute")
    .description(
      "dispute a rejection or a partial approval within the dispute window (signed by you, relayed by the gateway)",
    )
    .argument("<claimId>")
    .action(async (claimId: string) => {
      const global = program.opts<GlobalOptions>();
      const client = await signingClient(global);
      const disputed = await client.dispute(positiveBigInt(claimId, "claimId"));
      output(global, disputed, `claim ${claimId} is ${disputed.state} (tx ${disputed.txHash}): a member jury decides`);
    });
}
