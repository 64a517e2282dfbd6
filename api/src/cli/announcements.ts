import type { Command } from "commander";
import { AnnouncementRegistry__factory } from "../../../typechain-types";
import {
  DISPUTE_STATUS,
  announcementEntrySchema,
  paymentReferenceText,
  verifyAnnouncementEntry,
  type AnnouncementEntry,
} from "../announcements/announcement";
import { ANNOUNCEMENT_STATUS } from "../announcements/announcementService";
import { CLAIM_STATES } from "../services/claimService";
import { CliError, EXIT, output, positiveBigInt, when, withPinnedChain, type GlobalOptions } from "./common";

interface ServedAnnouncement {
  period: string;
  manifestCid: string;
  entries: { entry: AnnouncementEntry; proof: string[] }[];
}

interface CheckedEntry {
  claimId: string;
  ok: boolean;
  entry: AnnouncementEntry;
}

async function served(gateway: string, period: bigint): Promise<ServedAnnouncement> {
  let response: Response;
  try {
    response = await fetch(new URL(`/announcements/${period}`, gateway));
  } catch (error) {
    throw new CliError(`cannot reach ${gateway}: ${error instanceof Error ? error.message : error}`, EXIT.unreachable);
  }
  const body = (await response.json().catch(() => undefined)) as
    (ServedAnnouncement & { error?: { message: string } }) | undefined;
  if (!response.ok || !body) throw new CliError(body?.error?.message ?? `HTTP ${response.status}`, EXIT.failed);
  return body;
}

/**
 * Checks what a gateway serves against the chain alone: the anchored root and status of the
 * period, and every entry's proof against that root. The gateway is believed in nothing.
 */
async function checkAgainstChain(global: GlobalOptions, period: bigint) {
  return withPinnedChain(global, async (provider, descriptor) => {
    const registry = AnnouncementRegistry__factory.connect(descriptor.contracts.announcementRegistry, provider);
    const [anchored, bounds] = await Promise.all([registry.announcement(period), registry.periodBounds(period)]);
    const status = ANNOUNCEMENT_STATUS[Number(anchored.status)];
    if (status === "none") {
      const head = await provider.getBlock("latest");
      if (head && head.timestamp < Number(bounds[1]))
        throw new CliError(`period ${period} is still open: it closes at ${when(Number(bounds[1]))}`, EXIT.pending);
      throw new CliError(`period ${period} has no announcement on chain yet`, EXIT.failed);
    }
    const announcement = await served(global.gateway, period);
    const checked: CheckedEntry[] = announcement.entries.map(({ entry, proof }) => {
      const parsed = announcementEntrySchema.safeParse(entry);
      const ok = parsed.success && verifyAnnouncementEntry(parsed.data, proof, anchored.root);
      return { claimId: String(entry?.claimId), ok, entry };
    });
    // Every claim once, and as many entries as anchored: a gateway cannot hide one behind a repeat.
    const complete =
      checked.length === Number(anchored.entryCount) && new Set(checked.map((c) => c.claimId)).size === checked.length;
    return { status, root: anchored.root, start: Number(bounds[0]), end: Number(bounds[1]), checked, complete };
  });
}

function describeEntry(e: AnnouncementEntry): string {
  const decision = ["none", "approve", "reject"][e.decision];
  return [
    `claim ${e.claimId}  plan ${e.planId}  ${CLAIM_STATES[e.state]}  asked ${e.amountRequested}  approved ${e.amountApproved}  decision ${decision}`,
    `    evidence set ${e.evidenceRoot} (${e.evidenceItemCount} items)  reason ${e.reasonCid ?? "-"}`,
    `    endorsed by ${e.endorsers.join(", ") || "-"}  dispute ${DISPUTE_STATUS[e.dispute]}  payment ${paymentReferenceText(e.paymentReference) ?? "-"}`,
  ].join("\n");
}

function exitFor(status: string, ok: boolean): void {
  if (!ok) throw new CliError("", EXIT.failed);
  if (status === "pending") throw new CliError("", EXIT.pending);
  if (status !== "confirmed") throw new CliError("", EXIT.failed);
}

/** `aidproof announcements show|verify`: a period's announcement, checked against the chain. */
export function addAnnouncementCommands(program: Command): void {
  const announcements = program
    .command("announcements")
    .description("period announcements: every claim decided, disputed or paid, anchored and confirmed by the members");

  announcements
    .command("show")
    .description(
      "a period's announcement from the gateway, every entry checked against the root on chain: exit 0 confirmed, 1 not, 4 pending",
    )
    .argument("<period>")
    .action(async (period: string) => {
      const global = program.opts<GlobalOptions>();
      const result = await checkAgainstChain(global, positiveBigInt(period, "period"));
      const ok = result.complete && result.checked.every((c) => c.ok);
      const lines = [
        `period ${period}: ${when(result.start)} .. ${when(result.end)}, ${result.status} on chain, root ${result.root}`,
        ...result.checked.map((c) => `${c.ok ? "ok  " : "FAIL"} ${describeEntry(c.entry)}`),
        result.complete
          ? `${result.checked.length} entries`
          : "FAIL: the gateway served a repeated entry or another number of entries than anchored",
        ok ? result.status.toUpperCase() : "NOT VERIFIED",
      ];
      output(global, { period, ...result, ok }, lines.join("\n"));
      exitFor(result.status, ok);
    });

  announcements
    .command("verify")
    .description(
      "verify one claim's entry of a period's announcement against the chain: exit 0 verified, 1 not, 4 pending",
    )
    .argument("<period>")
    .requiredOption("--claim <id>", "the claim whose entry to verify")
    .action(async (period: string, opts: { claim: string }) => {
      const global = program.opts<GlobalOptions>();
      const result = await checkAgainstChain(global, positiveBigInt(period, "period"));
      if (!result.complete)
        throw new CliError("the gateway served a repeated entry or another number than anchored", EXIT.failed);
      const entry = result.checked.find((c) => c.claimId === positiveBigInt(opts.claim, "--claim").toString());
      if (!entry)
        throw new CliError(`claim ${opts.claim} has no entry in period ${period}'s announcement`, EXIT.failed);
      const verdict = !entry.ok
        ? "NOT VERIFIED: the entry is not in the anchored announcement"
        : result.status === "confirmed"
          ? "VERIFIED"
          : result.status.toUpperCase();
      output(global, { period, status: result.status, ...entry }, `${describeEntry(entry.entry)}\n${verdict}`);
      exitFor(result.status, entry.ok);
    });
}
