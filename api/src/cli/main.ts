import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { stat } from "node:fs/promises";
import { Command, CommanderError, Option } from "commander";
import { Wallet } from "ethers";
import { DomainError } from "../errors";
import {
  EXIT,
  CliError,
  loadDescriptor,
  output,
  positiveBigInt,
  readInputFile,
  readJsonFile,
  rpcFor,
  signingClient,
  when,
  withPinnedChain,
  type GlobalOptions,
} from "./common";
import { addReviewCommands } from "./review";
import { addAnnouncementCommands } from "./announcements";
import { addChargesCommands } from "./charges";
import { addJuryCommands } from "./jury";
import { AidProofClient } from "../sdk/client";
import { CLAIM_STATES } from "../services/claimService";
import { verifyEvidenceBundle, type Verification } from "../verify/evidence";
import type { ConsortiumDescriptor } from "../verify/descriptor";
import { claimTimeline, type TimelineEntry } from "../verify/timeline";
import { decryptEnvelope } from "../crypto/envelope";
import { DataDirLockedError, lockDataDir } from "../node/dataDirLock";
import { FsBackend } from "../store/fsBackend";
import { KuboBackend } from "../store/kuboBackend";
import { fetchBlock, fetchVerified } from "../store/gatewayClient";
import { scrub, type RepairSource, type ScrubProgress } from "../store/scrub";

/** An event argument as people read it: claim states and decisions by name. */
function argText(event: string, key: string, value: unknown): string {
  if (event === "ClaimStateChanged" && (key === "from" || key === "to"))
    return CLAIM_STATES[Number(value)] ?? String(value);
  if (key === "decision") return ["none", "approve", "reject"][Number(value)] ?? String(value);
  return String(value);
}

function describeTimeline(timeline: TimelineEntry[]): string[] {
  return timeline.map((e) => {
    const args = Object.entries(e.args)
      .filter(([k]) => k !== "claimId")
      .map(([k, v]) => `${k}=${argText(e.event, k, v)}`)
      .join(" ");
    return `  ${when(e.time)}  block ${e.blockNumber}  ${e.event}${args ? `  ${args}` : ""}`;
  });
}

/** What `verify` prints for people: each check, the batch's members, the file, the claim's timeline. */
function describeVerification(result: Verification, descriptor?: ConsortiumDescriptor): string {
  const lines = [
    descriptor
      ? `pinned to ${descriptor.name ?? "a consortium"} (chain ${descriptor.chainId}, Consortium ${descriptor.contracts.consortium})`
      : "UNPINNED: no consortium descriptor; the bundle's own contracts were trusted",
    ...result.checks.map((c) => `${c.ok ? "ok  " : "FAIL"} ${c.name}${c.detail && !c.ok ? ` (${c.detail})` : ""}`),
  ];
  if (result.batch) {
    lines.push(`batch: ${result.batch.status}`);
    for (const a of result.batch.attestations)
      lines.push(`  ${a.valid ? "valid  " : "invalid"} ${a.member} (${a.address}) at ${when(a.time)}`);
  }
  if (result.file) lines.push(`file: sha256 ${result.file.sha256}, CID ${result.file.cid}`);
  if (result.claim) lines.push(`claim ${result.claim.id}:`, ...describeTimeline(result.claim.timeline));
  lines.push(`${result.pinned ? "" : "UNPINNED "}${result.status}`);
  return lines.join("\n");
}

function progressBar(label: string): (sent: number, total: number) => void {
  if (!process.stderr.isTTY) return () => undefined;
  let last = -1;
  return (sent, total) => {
    const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(
      `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${pct}%${pct === 100 ? "\n" : ""}`,
    );
  };
}

/** The bundle's content from a trustless gateway: every block checked against its CID as it arrives. */
async function fetchContent(gateway: string, bundle: unknown): Promise<Buffer> {
  const cid = (bundle as { leaf?: { cid?: unknown } }).leaf?.cid;
  if (typeof cid !== "string") throw new CliError("the bundle names no CID to fetch", EXIT.usage);
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of fetchVerified(gateway, cid)) parts.push(chunk);
  } catch (error) {
    throw new CliError(
      `cannot fetch ${cid} from ${gateway}: ${error instanceof Error ? error.message : error}`,
      EXIT.unreachable,
    );
  }
  return Buffer.concat(parts);
}

export function buildProgram(): Command {
  const program = new Command("aidproof")
    .description("AidProof claimant and verifier CLI: file claims, submit evidence, fetch and verify proofs")
    .addOption(
      new Option("--gateway <url>", "gateway API URL").env("AIDPROOF_GATEWAY_URL").default("http://127.0.0.1:8080"),
    )
    .addOption(
      new Option(
        "--rpc <url>",
        "a chain RPC endpoint you choose: members, keys and states are read there (default: the descriptor's)",
      ).env("AIDPROOF_CLIENT_RPC_URL"),
    )
    .addOption(
      new Option("--consortium <file|url>", "the consortium descriptor to pin (chain, genesis block, contracts)")
        .env("AIDPROOF_CONSORTIUM")
        .default("./data/consortium.json"),
    )
    .option("--key-file <path>", "file holding the claimant's private key (or set AIDPROOF_CLAIMANT_KEY)")
    .option("--json", "machine-readable output")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("keygen")
    .description("create a new claimant key file")
    .requiredOption("--out <path>", "where to write the key (refuses to overwrite)")
    .action((opts: { out: string }) => {
      if (existsSync(opts.out)) throw new CliError(`${opts.out} exists; not overwriting`, EXIT.usage);
      const wallet = Wallet.createRandom();
      writeFileSync(opts.out, `${wallet.privateKey}\n`, { mode: 0o600 });
      output(
        program.opts(),
        { address: wallet.address, keyFile: opts.out },
        `claimant ${wallet.address}, key in ${opts.out}`,
      );
    });

  const claim = program.command("claim").description("claims");
  claim
    .command("create")
    .description("file a claim (signed by you, relayed on chain by the gateway)")
    .requiredOption("--plan <id>", "plan id")
    .requiredOption("--amount <n>", "amount asked, in the plan's smallest unit")
    .requiredOption("--metadata-cid <cid>", "CID of the claim's (encrypted) metadata")
    .action(async (opts: { plan: string; amount: string; metadataCid: string }) => {
      const global = program.opts<GlobalOptions>();
      const client = await signingClient(global);
      const filed = await client.createClaim({
        planId: positiveBigInt(opts.plan, "--plan"),
        amount: positiveBigInt(opts.amount, "--amount"),
        metadataCid: opts.metadataCid,
      });
      output(global, filed, `claim ${filed.claimId} filed (tx ${filed.txHash})`);
    });

  const evidence = program.command("evidence").description("evidence");
  evidence
    .command("submit")
    .description("upload evidence files for a claim (private: encrypted for the validators; default)")
    .argument("<claimId>", "the claim")
    .argument("<files...>", "files to submit")
    .option("--public", "upload the files as public evidence, unencrypted")
    .action(async (claimId: string, files: string[], opts: { public?: boolean }) => {
      const global = program.opts<GlobalOptions>();
      const client = await signingClient(global);
      const id = positiveBigInt(claimId, "claimId");
      for (const file of files) {
        if (!(await stat(file).catch(() => undefined))?.isFile())
          throw new CliError(`${file} is not a readable file`, EXIT.usage);
      }
      const results = [];
      for (const file of files) {
        const kind = opts.public ? "public" : "private";
        const submitted = await client.submitEvidence(id, file, { kind, onProgress: progressBar(file) });
        results.push(submitted);
        if (!global.json) process.stdout.write(`${file}: receipt ${submitted.receiptId} (${kind}, ${submitted.cid})\n`);
      }
      if (global.json) output(global, results, "");
    });

  program
    .command("receipt")
    .description("show a receipt; with --out, save its proof bundle")
    .argument("<receiptId>")
    .addOption(
      new Option("--wait <status>", "wait until the receipt is anchored or confirmed").choices([
        "anchored",
        "confirmed",
      ]),
    )
    .option("--timeout <seconds>", "how long --wait waits", "120")
    .option("--out <path>", "write the proof bundle (JSON) here")
    .action(async (receiptId: string, opts: { wait?: "anchored" | "confirmed"; timeout: string; out?: string }) => {
      const global = program.opts<GlobalOptions>();
      const client = new AidProofClient(global.gateway);
      const receipt = opts.wait
        ? await client.waitForReceipt(receiptId, opts.wait, Number(opts.timeout) * 1000)
        : await client.receipt(receiptId);
      if (opts.out) {
        if (!receipt.proof)
          throw new CliError(`receipt ${receiptId} is ${receipt.status}: no proof bundle yet`, EXIT.failed);
        writeFileSync(opts.out, `${JSON.stringify(receipt.proof, null, 2)}\n`);
      }
      output(
        global,
        receipt,
        `receipt ${receiptId}: ${receipt.status}${opts.out ? `; proof bundle in ${opts.out}` : ""}`,
      );
    });

  program
    .command("verify")
    .description(
      "verify a proof bundle against the pinned consortium on chain alone (no gateway): exit 0 verified, 1 not, 4 pending",
    )
    .argument("<bundle>", "proof bundle JSON file")
    .option(
      "--file <path>",
      "also check that this file's SHA-256 and CID are the anchored ones (the envelope, if private)",
    )
    .option(
      "--fetch-from <gateway>",
      "fetch the file by its CID from this trustless IPFS gateway (verified block by block)",
    )
    .option("--member-key <path>", "a member's encryption key file: also open the private envelope with it, locally")
    .option("--unpinned", "verify without a consortium descriptor, trusting the contracts the bundle names")
    .action(
      async (
        bundlePath: string,
        opts: { file?: string; fetchFrom?: string; memberKey?: string; unpinned?: boolean },
      ) => {
        const global = program.opts<GlobalOptions>();
        const bundle = readJsonFile(bundlePath);
        const descriptor = opts.unpinned ? undefined : await loadDescriptor(global.consortium);
        const file = opts.file
          ? readInputFile(opts.file)
          : opts.fetchFrom
            ? await fetchContent(opts.fetchFrom, bundle)
            : undefined;
        const result = await verifyEvidenceBundle(bundle, {
          descriptor,
          unpinned: opts.unpinned,
          rpcUrl: rpcFor(global, descriptor),
          file,
        });
        if (opts.memberKey) {
          if (!file) throw new CliError("--member-key needs --file (the envelope to open)", EXIT.usage);
          try {
            const plaintext = decryptEnvelope(file, readFileSync(opts.memberKey, "utf8").trim());
            result.checks.push({
              name: "the member key opens the envelope",
              ok: true,
              detail: `${plaintext.length} bytes`,
            });
            plaintext.fill(0);
          } catch (error) {
            const detail = error instanceof Error ? error.message : String(error);
            result.checks.push({ name: "the member key opens the envelope", ok: false, detail });
            result.status = "NOT VERIFIED";
            result.ok = false;
          }
        }
        output(global, result, describeVerification(result, descriptor));
        if (result.status === "PENDING") throw new CliError("", EXIT.pending);
        if (result.status !== "VERIFIED") {
          const unreachable = result.checks.some((c) => c.name === "RPC endpoint reachable" && !c.ok);
          throw new CliError("", unreachable ? EXIT.unreachable : EXIT.failed);
        }
      },
    );

  claim
    .command("show")
    .description("a claim's public timeline, read from the pinned consortium's chain alone")
    .argument("<claimId>")
    .action(async (claimId: string) => {
      const global = program.opts<GlobalOptions>();
      await withPinnedChain(global, async (provider, descriptor) => {
        const timeline = await claimTimeline(provider, descriptor, positiveBigInt(claimId, "claimId"));
        if (timeline.length === 0)
          throw new CliError(`no claim ${claimId} on the pinned consortium's chain`, EXIT.failed);
        output(global, { claimId, timeline }, [`claim ${claimId}:`, ...describeTimeline(timeline)].join("\n"));
      });
    });

  addReviewCommands(program, claim);
  addAnnouncementCommands(program);
  addChargesCommands(program);
  addJuryCommands(program);
  addStoreCommands(program);
  return program;
}

/** Progress of a scrub on stderr: rewritten in place on a terminal, a line every 5 s otherwise. */
function scrubProgress(): (progress: ScrubProgress) => void {
  let last = 0;
  return ({ pinsDone, pins, blocksChecked }) => {
    const done = pinsDone === pins;
    const now = Date.now();
    if (!done && now - last < (process.stderr.isTTY ? 200 : 5_000)) return;
    last = now;
    const line = `scrub: ${blocksChecked} blocks checked, ${pinsDone}/${pins} pinned DAGs`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}${done ? "\n" : ""}` : `${line}\n`);
  };
}

/** `aidproof store ...`: maintenance of the embedded store in a data directory the stack is not running on. */
function addStoreCommands(program: Command): void {
  const store = program.command("store").description("maintenance of the embedded evidence store (stack stopped)");
  store
    .command("verify")
    .description(
      "scrub: re-hash every block of every pinned DAG; repair corrupt or missing blocks from another copy. Exit 0 clean or repaired, 1 corruption left",
    )
    .addOption(new Option("--data-dir <dir>", "the stack's data directory").env("AIDPROOF_DATA_DIR").default("./data"))
    .option(
      "--repair-from <url>",
      "trustless gateway to fetch good copies from (another AidProof gateway, a Kubo gateway)",
    )
    .option("--repair-from-kubo <url>", "Kubo RPC API to fetch good copies from")
    .action(async (opts: { dataDir: string; repairFrom?: string; repairFromKubo?: string }) => {
      const global = program.opts<GlobalOptions>();
      const dataDir = resolve(opts.dataDir);
      const storeDir = join(dataDir, "ipfs");
      if (!existsSync(join(storeDir, "store.sqlite")))
        throw new CliError(`no embedded store in ${dataDir} (expected ${join(storeDir, "store.sqlite")})`, EXIT.usage);
      const sources: RepairSource[] = [];
      for (const [flag, url] of [
        ["--repair-from", opts.repairFrom],
        ["--repair-from-kubo", opts.repairFromKubo],
      ]) {
        if (url !== undefined && !URL.canParse(url)) throw new CliError(`${flag}: not a URL: ${url}`, EXIT.usage);
      }
      if (opts.repairFrom) {
        const url = opts.repairFrom;
        sources.push({ name: url, getBlock: (cid) => fetchBlock(url, cid, AbortSignal.timeout(30_000)) });
      }
      if (opts.repairFromKubo) {
        const kubo = new KuboBackend(opts.repairFromKubo, { timeoutMs: 30_000 });
        sources.push({ name: kubo.source, getBlock: (cid) => kubo.getBlock(cid) });
      }
      let lock;
      try {
        lock = lockDataDir(dataDir, "aidproof store verify");
      } catch (error) {
        if (error instanceof DataDirLockedError) throw new CliError(error.message, EXIT.usage);
        throw error;
      }
      try {
        const backend = await FsBackend.open(storeDir);
        let report;
        try {
          report = await scrub(backend, sources, scrubProgress());
        } finally {
          await backend.close();
        }
        const ok = report.unrepaired.length === 0;
        const list = (label: string, cids: string[]) =>
          cids.map((cid) => `${label} ${cid}${report.repaired.includes(cid) ? " (repaired)" : ""}`);
        const human = [
          `${storeDir}: ${report.pins} pinned DAGs, ${report.blocksChecked} blocks checked, ` +
            `${report.corrupt.length} corrupt, ${report.missing.length} missing, ${report.repaired.length} repaired`,
          ...list("corrupt", report.corrupt),
          ...list("missing", report.missing),
          ok
            ? report.repaired.length > 0
              ? "REPAIRED"
              : "CLEAN"
            : `NOT REPAIRED: ${report.unrepaired.length} block(s)`,
        ].join("\n");
        output(global, { ok, dataDir, ...report }, human);
        if (!ok) throw new CliError("", EXIT.failed);
      } finally {
        lock.release();
      }
    });
}

/** Refusals of what the user gave, before anything was sent: bad input (exit 2), not a failure. */
const INPUT_ERRORS = new Set([
  "VALIDATION_FAILED",
  "EVIDENCE_ROOT_MISMATCH",
  "REASON_MISMATCH",
  "INVALID_REASON",
  "INVALID_REFERENCE",
]);

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliError) {
      if (error.message) process.stderr.write(`aidproof: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof DomainError) {
      process.stderr.write(`aidproof: ${error.code}: ${error.message}\n`);
      if (error.code === "GATEWAY_UNREACHABLE" || error.code === "CHAIN_UNREACHABLE") return EXIT.unreachable;
      return INPUT_ERRORS.has(error.code) ? EXIT.usage : EXIT.failed;
    }
    process.stderr.write(`aidproof: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module || process.argv[1]?.endsWith("aidproof.js") || process.argv[1]?.endsWith("aidproof")) {
  void run(process.argv).then((code) => process.exit(code));
}
