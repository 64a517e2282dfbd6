import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { z } from "zod";
import { signCredential } from "../jury/ballot";
import { juryCourtAt, readJuryCase, type JuryCaseView } from "../jury/caseReader";
import { CHOICES, JurorClient, type ChoiceName } from "../jury/jurorClient";
import type { BallotReceipt } from "../jury/juryService";
import { recountCase } from "../jury/publicRecount";
import { fetchVerifiedBytes } from "../store/gatewayClient";
import { DomainError } from "../errors";
import {
  CliError,
  EXIT,
  chainPin,
  output,
  positiveBigInt,
  readJsonFile,
  when,
  withPinnedChain,
  type GlobalOptions,
} from "./common";

/** Largest pool or ballot-set manifest the CLI fetches (a 250,000-ballot set is about 60 MB). */
const MAX_MANIFEST_BYTES = 1024 * 1024 * 1024;

const credentialSchema = z.object({
  voter: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  memberHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  qualifiedAt: z.number().int().nonnegative(),
  credential: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
});

const receiptSchema = z.object({
  claimId: z.string().regex(/^\d+$/),
  round: z.number().int(),
  juror: z.string(),
  sequence: z.number().int(),
  envelopeHash: z.string(),
  receivedAt: z.number().int(),
  gateway: z.string(),
  signature: z.string(),
});

function keyFromFile(path: string, what: string): Wallet {
  if (!existsSync(path))
    throw new CliError(`${what} file ${path} does not exist (aidproof keygen --out FILE)`, EXIT.usage);
  const text = readFileSync(path, "utf8").trim();
  try {
    const parsed = text.startsWith("{") ? (JSON.parse(text) as { gateway?: string }).gateway : text;
    return new Wallet(parsed ?? "");
  } catch {
    throw new CliError(`${path} holds no ${what}`, EXIT.usage);
  }
}

function voterOption(command: Command): Command {
  return command.addOption(
    new Option("--voter-key <file>", "the juror's voting key file (never sent anywhere)")
      .env("AIDPROOF_VOTER_KEY_FILE")
      .makeOptionMandatory(),
  );
}

async function withJuror<T>(
  global: GlobalOptions,
  voterKey: string,
  work: (juror: JurorClient) => Promise<T>,
): Promise<T> {
  const juror = new JurorClient(global.gateway, keyFromFile(voterKey, "voting key"), await chainPin(global));
  try {
    return await work(juror);
  } finally {
    juror.destroy();
  }
}

function readReceipt(path: string): BallotReceipt {
  const parsed = receiptSchema.safeParse(readJsonFile(path));
  if (!parsed.success) throw new CliError(`${path} is not a ballot receipt`, EXIT.usage);
  return parsed.data;
}

function describeCase(view: JuryCaseView): string {
  const lines = [
    `claim ${view.claimId}: jury ${view.status}, round ${view.round}, pool ${view.poolId} of ${view.poolSize}`,
  ];
  if (view.status === "Drawing")
    lines.push(
      `  drawing: seed block ${view.seedBlock}, ${view.ballotKeys.length} of ${view.keyThreshold} ballot keys`,
    );
  if (view.votingClosesAt > 0)
    lines.push(`  voting ${view.status === "Voting" ? "closes" : "closed"} at ${when(view.votingClosesAt)}`);
  if (view.status !== "Drawing" && view.status !== "Voting")
    lines.push(
      `  ${view.ballotCount} ballots sealed; ${view.revealedKeys.length} of ${view.keyThreshold} keys revealed`,
    );
  if (["Tallied", "Decided", "Inconclusive"].includes(view.status))
    lines.push(
      `  tally: uphold ${view.upholdVotes}, overturn ${view.overturnVotes}${view.status === "Decided" ? (view.overturned ? " — OVERTURNED" : " — UPHELD") : ""}`,
    );
  return lines.join("\n");
}

/** `aidproof jury ...`: juror registration, voting, receipts, proofs and the public recount. */
export function addJuryCommands(program: Command): void {
  const jury = program.command("jury").description("the member jury for disputed claims");

  jury
    .command("credential")
    .description("(the platform) sign a juror credential for a member's voting key")
    .requiredOption("--voter <address>", "the member's voting key address")
    .requiredOption("--member-id <id>", "the platform's member id (only its salted hash leaves this machine)")
    .addOption(
      new Option("--salt <text>", "the platform's secret salt for member hashes")
        .env("AIDPROOF_MEMBER_SALT")
        .makeOptionMandatory(),
    )
    .option(
      "--qualified-at <unix seconds>",
      "when the member qualified as a juror",
      String(Math.floor(Date.now() / 1000)),
    )
    .option(
      "--platform-key <file>",
      "a GATEWAY holder's key file (the local stack's data/keys.json)",
      "./data/keys.json",
    )
    .option("--out <file>", "write the credential here instead of stdout")
    .action(
      async (opts: {
        voter: string;
        memberId: string;
        salt: string;
        qualifiedAt: string;
        platformKey: string;
        out?: string;
      }) => {
        const global = program.opts<GlobalOptions>();
        const pin = await chainPin(global);
        if (!/^0x[0-9a-fA-F]{40}$/.test(opts.voter)) throw new CliError("--voter must be an address", EXIT.usage);
        const credential = {
          voter: opts.voter.toLowerCase(),
          memberHash: keccak256(toUtf8Bytes(`${opts.salt}:${opts.memberId}`)),
          qualifiedAt: Number(positiveBigInt(opts.qualifiedAt, "--qualified-at")),
        };
        const signed = {
          ...credential,
          credential: await signCredential(
            keyFromFile(opts.platformKey, "platform key"),
            BigInt(pin.descriptor.chainId),
            pin.descriptor.contracts.juryCourt,
            credential,
          ),
        };
        if (opts.out) writeFileSync(opts.out, `${JSON.stringify(signed, null, 2)}\n`);
        output(
          { ...global, json: global.json || !opts.out },
          signed,
          `credential for ${credential.voter} written to ${opts.out}`,
        );
      },
    );

  voterOption(jury.command("register").description("register your voting key with the platform's credential"))
    .requiredOption("--credential <file>", "the credential the platform signed for your key")
    .action(async (opts: { voterKey: string; credential: string }) => {
      const global = program.opts<GlobalOptions>();
      const parsed = credentialSchema.safeParse(readJsonFile(opts.credential));
      if (!parsed.success) throw new CliError(`${opts.credential} is not a juror credential`, EXIT.usage);
      await withJuror(global, opts.voterKey, async (juror) => {
        if (parsed.data.voter.toLowerCase() !== juror.address)
          throw new CliError(`the credential is for ${parsed.data.voter}, your key is ${juror.address}`, EXIT.usage);
        const registered = await juror.register(parsed.data);
        output(global, registered, `registered ${juror.address}: you join the next juror pool`);
      });
    });

  jury
    .command("cases")
    .description("jury cases, as the chain states them")
    .action(async () => {
      const global = program.opts<GlobalOptions>();
      await withPinnedChain(global, async (provider, descriptor) => {
        const court = juryCourtAt(descriptor.contracts.juryCourt, provider);
        const opened = await court.queryFilter(court.filters.CaseOpened(), descriptor.deploymentBlock, "latest");
        const ids = [...new Set(opened.map((log) => log.args.claimId))];
        const views = (await Promise.all(ids.map((id) => readJuryCase(court, id)))).filter((v) => v !== undefined);
        output(global, { cases: views }, views.length ? views.map(describeCase).join("\n") : "no jury cases");
      });
    });

  voterOption(jury.command("vote").description("seal, sign and submit your ballot; keeps the gateway's receipt"))
    .argument("<claimId>")
    .argument("<choice>", "uphold (the decision stands) or overturn (pay the claim)")
    .option("--sequence <n>", "a higher sequence replaces your earlier ballot", "1")
    .option("--receipt-out <file>", "where to keep the receipt (default: ballot-receipt-<claim>-<round>.json)")
    .action(
      async (claimId: string, choice: string, opts: { voterKey: string; sequence: string; receiptOut?: string }) => {
        const global = program.opts<GlobalOptions>();
        if (!(choice in CHOICES)) throw new CliError(`choice must be uphold or overturn, got "${choice}"`, EXIT.usage);
        const id = positiveBigInt(claimId, "claimId");
        const sequence = Number(positiveBigInt(opts.sequence, "--sequence"));
        await withJuror(global, opts.voterKey, async (juror) => {
          const receipt = await juror.vote(id, choice as ChoiceName, sequence);
          const file = opts.receiptOut ?? `ballot-receipt-${claimId}-${receipt.round}.json`;
          writeFileSync(file, `${JSON.stringify(receipt, null, 2)}\n`);
          output(
            global,
            { receipt, file },
            `ballot ${sequence} for claim ${claimId} round ${receipt.round} accepted at ${when(receipt.receivedAt)}; the gateway's signed receipt is in ${file}\nyour choice is sealed: nobody can read it before the ballots are sealed and the members open them`,
          );
        });
      },
    );

  jury
    .command("receipt")
    .description("check a ballot receipt: signed by a gateway of the consortium (on chain)")
    .argument("<file>")
    .action(async (file: string) => {
      const global = program.opts<GlobalOptions>();
      const receipt = readReceipt(file);
      const juror = new JurorClient(global.gateway, Wallet.createRandom(), await chainPin(global));
      try {
        await juror.verifyReceipt(receipt);
      } catch (error) {
        if (error instanceof DomainError) throw new CliError(error.message, EXIT.failed);
        throw error;
      } finally {
        juror.destroy();
      }
      output(
        global,
        { valid: true, receipt },
        `VALID receipt: gateway ${receipt.gateway} accepted ballot ${receipt.sequence} of ${receipt.juror} for claim ${receipt.claimId} round ${receipt.round} at ${when(receipt.receivedAt)}`,
      );
    });

  voterOption(jury.command("proof").description("your ballot's inclusion in the sealed set, checked on chain"))
    .argument("<claimId>")
    .option("--receipt <file>", "your receipt: a ballot left out or replaced by an older one is reported DROPPED")
    .action(async (claimId: string, opts: { voterKey: string; receipt?: string }) => {
      const global = program.opts<GlobalOptions>();
      const receipt = opts.receipt ? readReceipt(opts.receipt) : undefined;
      await withJuror(global, opts.voterKey, async (juror) => {
        const check = await juror.checkProof(positiveBigInt(claimId, "claimId"), receipt).catch((error: unknown) => {
          if (error instanceof DomainError && error.code === "BALLOTS_NOT_SEALED")
            throw new CliError(error.message, EXIT.pending);
          throw error;
        });
        const human = check.problem
          ? check.problem
          : check.included
            ? `INCLUDED: ballot ${check.proof!.leaf[1]} of ${juror.address} is in the sealed set (root ${check.proof!.root} on chain)${check.honoured ? "; your receipt is honoured" : ""}`
            : "no ballot of yours in the sealed set";
        output(global, check, human);
        if (check.problem || (receipt && !check.honoured)) throw new CliError("", EXIT.failed);
      });
    });

  jury
    .command("recount")
    .description("recount a case from the chain and IPFS alone, and compare with the tally on chain")
    .argument("<claimId>")
    .option("--threads <n>", "worker threads for signatures and decryption (default: one per core)")
    .action(async (claimId: string, opts: { threads?: string }) => {
      const global = program.opts<GlobalOptions>();
      const threads = opts.threads ? Number(positiveBigInt(opts.threads, "--threads")) : undefined;
      await withPinnedChain(global, async (provider, descriptor) => {
        const recount = await recountCase(
          provider,
          descriptor,
          positiveBigInt(claimId, "claimId"),
          (cid) => fetchVerifiedBytes(global.gateway, cid, MAX_MANIFEST_BYTES),
          threads,
        ).catch((error: unknown) => {
          if (error instanceof DomainError && ["BALLOTS_NOT_SEALED", "KEYS_NOT_REVEALED"].includes(error.code))
            throw new CliError(error.message, EXIT.pending);
          throw error;
        });
        const lines = [
          `claim ${recount.claimId} round ${recount.round}: ${recount.count} sealed ballots (root ${recount.root} matches the chain)`,
          `recount: uphold ${recount.upholdVotes}, overturn ${recount.overturnVotes}, invalid ${recount.invalid.length}`,
          ...recount.invalid.slice(0, 20).map((b) => `  invalid ${b.juror}: ${b.reason}`),
          recount.onChain === undefined
            ? "no tally on chain yet"
            : recount.matches
              ? `MATCHES the tally on chain (${recount.status})`
              : `DOES NOT MATCH the tally on chain: uphold ${recount.onChain.upholdVotes}, overturn ${recount.onChain.overturnVotes}`,
        ];
        output(global, recount, lines.join("\n"));
        if (recount.onChain === undefined) throw new CliError("", EXIT.pending);
        if (!recount.matches) throw new CliError("", EXIT.failed);
      });
    });
}
