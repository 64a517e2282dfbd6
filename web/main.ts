/**
 * The public verifier page. It imports the same verification code as the CLI and the SDK
 * (api/src/verify) and talks only to the chain RPC endpoint of the descriptor it is configured with
 * (consortium.json beside it; the user may change the endpoint).
 */
import { JsonRpcProvider } from "ethers";
import { parseDescriptor, type ConsortiumDescriptor } from "../api/src/verify/descriptor";
import { verifyEvidenceBundle, type Verification } from "../api/src/verify/evidence";
import { claimTimeline, type TimelineEntry } from "../api/src/verify/timeline";
import { readPeriodBill, verifyChargeProof, type PeriodBill } from "../api/src/verify/charges";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const rpcInput = $<HTMLInputElement>("rpc");
const bundleInput = $<HTMLInputElement>("bundle");
const fileInput = $<HTMLInputElement>("file");
const result = $<HTMLDivElement>("result");
const timelineBox = $<HTMLDivElement>("timeline");
const chargeBox = $<HTMLDivElement>("charge");
let descriptor: ConsortiumDescriptor | undefined;
let dropped: { bundle?: File; file?: File } = {};

/** Text nodes only: nothing from a bundle or the chain is ever parsed as HTML. */
function el(tag: string, text = "", className = ""): HTMLElement {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

const when = (seconds: number) => new Date(seconds * 1000).toLocaleString();

const EVENT_TEXT: Record<string, (args: TimelineEntry["args"]) => string> = {
  ClaimFiled: (a) => `Filed by ${a.claimant}, asking ${a.amountRequested} (plan ${a.planId})`,
  ClaimStateChanged: (a) => `State ${STATES[Number(a.from)]} → ${STATES[Number(a.to)]}`,
  ClaimEndorsed: (a) =>
    `Member ${a.validator} endorsed: ${DECISIONS[Number(a.decision)]}, amount ${a.amount}, evidence set ${a.evidenceRoot}`,
  ClaimDecided: (a) => `Decided: ${DECISIONS[Number(a.decision)]}, amount ${a.amount}, evidence set ${a.evidenceRoot}`,
  ClaimJuryOutcomeApplied: (a) => `Jury outcome applied: ${a.overturned ? "overturned" : "upheld"}`,
  ClaimPaid: (a) => `Paid ${a.amount} (reference ${a.paymentReference})`,
  CaseOpened: (a) => `Jury case opened (round ${a.round}) over juror pool ${a.poolId}`,
  JuryDrawn: (a) =>
    `Jury drawn (seed ${a.seed}); voting closes at ${new Date(Number(a.votingDeadline) * 1000).toISOString()}`,
  BallotsSealed: (a) => `${a.count} ballots sealed (root ${a.ballotsRoot}, manifest ${a.ballotsCid})`,
  BallotKeyRevealed: (a) => `Member ${a.validator} revealed its ballot key`,
  TallySubmitted: (a) => `Tally submitted: uphold ${a.upholdVotes}, overturn ${a.overturnVotes}`,
  CaseInconclusive: (a) => `Too few valid votes (${a.upholdVotes}–${a.overturnVotes}): the case may restart`,
  CaseRestarted: (a) => `Jury case restarted as round ${a.round}`,
  TallyConfirmed: (a) => `Tally confirmed by member ${a.validator}`,
  CaseDecided: (a) => `Jury decided: ${a.overturned ? "overturned" : "upheld"} (${a.upholdVotes}–${a.overturnVotes})`,
};
const STATES = ["None", "Filed", "Under review", "Approved", "Rejected", "Disputed", "Paid"];
const DECISIONS = ["none", "approve", "reject"];

function renderTimeline(timeline: TimelineEntry[]): HTMLElement {
  const table = el("table");
  for (const entry of timeline) {
    const row = document.createElement("tr");
    row.append(el("td", when(entry.time)), el("td", (EVENT_TEXT[entry.event] ?? (() => entry.event))(entry.args)));
    table.append(row);
  }
  return table;
}

function verdictText(v: Verification): [string, string] {
  if (v.status === "VERIFIED") {
    const members = v.batch?.attestations.filter((a) => a.valid).map((a) => a.member) ?? [];
    return ["ok", `VERIFIED: this evidence is anchored and confirmed by ${members.join(", ")}.`];
  }
  if (v.status === "PENDING")
    return ["pending", "PENDING: the evidence is anchored, and the members have not confirmed its batch yet."];
  const failed = v.checks.find((c) => !c.ok);
  return [
    "fail",
    `NOT VERIFIED: ${failed ? `${failed.name}: no${failed.detail ? ` (${failed.detail})` : ""}` : "unknown"}.`,
  ];
}

function renderVerification(v: Verification, elapsedMs: number): void {
  const [kind, text] = verdictText(v);
  result.replaceChildren(el("p", `${v.pinned ? "" : "UNPINNED "}${text}`, `verdict ${kind}`));
  if (!v.pinned) result.append(el("p", "UNPINNED: no consortium descriptor was given.", "unpinned"));
  const list = el("ul", "", "checks");
  for (const c of v.checks) list.append(el("li", `${c.name}${c.detail ? ` — ${c.detail}` : ""}`, c.ok ? "" : "fail"));
  result.append(el("h3", "Checks"), list);
  if (v.batch) {
    result.append(el("h3", `Batch: ${v.batch.status}`));
    const members = el("ul");
    for (const a of v.batch.attestations)
      members.append(
        el("li", `${a.member} (${a.address}) attested ${a.valid ? "valid" : "invalid"} on ${when(a.time)}`),
      );
    result.append(members);
  }
  if (v.file) result.append(el("p", `File SHA-256 ${v.file.sha256}, CID ${v.file.cid}`, "mono"));
  if (v.claim) result.append(el("h3", `Claim ${v.claim.id}`), renderTimeline(v.claim.timeline));
  result.append(el("p", `Checked in ${elapsedMs} ms.`));
}

async function readBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

async function verify(): Promise<void> {
  const bundleFile = bundleInput.files?.[0] ?? dropped.bundle;
  const evidenceFile = fileInput.files?.[0] ?? dropped.file;
  if (!bundleFile) {
    result.replaceChildren(el("p", "Choose a proof bundle first.", "verdict fail"));
    return;
  }
  result.replaceChildren(el("p", "Checking against the chain…"));
  const started = performance.now();
  let bundle: unknown;
  try {
    bundle = JSON.parse(new TextDecoder().decode(await readBytes(bundleFile)));
  } catch {
    result.replaceChildren(el("p", "NOT VERIFIED: the proof bundle is not JSON.", "verdict fail"));
    return;
  }
  const verification = await verifyEvidenceBundle(bundle, {
    descriptor,
    unpinned: !descriptor,
    rpcUrl: rpcInput.value,
    file: evidenceFile ? await readBytes(evidenceFile) : undefined,
  });
  renderVerification(verification, Math.round(performance.now() - started));
}

async function showClaim(claimId: string): Promise<void> {
  if (!descriptor || !/^\d+$/.test(claimId)) {
    timelineBox.replaceChildren(el("p", "Give a claim number (and a consortium descriptor)."));
    return;
  }
  timelineBox.replaceChildren(el("p", "Reading the chain…"));
  const provider = new JsonRpcProvider(rpcInput.value, undefined, { batchMaxCount: 1 });
  try {
    const timeline = await claimTimeline(provider, descriptor, BigInt(claimId));
    timelineBox.replaceChildren(
      timeline.length
        ? renderTimeline(timeline)
        : el("p", `No claim ${claimId} on this consortium's chain.`, "verdict fail"),
    );
  } catch (error) {
    timelineBox.replaceChildren(el("p", `Cannot read the chain: ${error instanceof Error ? error.message : error}`));
  } finally {
    provider.destroy();
  }
}

function renderBill(bill: PeriodBill): HTMLElement[] {
  const paid = el("table");
  for (const p of bill.paid) {
    const row = document.createElement("tr");
    row.append(el("td", when(p.time)), el("td", `claim ${p.claimId}`), el("td", `paid ${p.amount}`));
    paid.append(row);
  }
  return [
    el("h3", `Period ${bill.period}: ${when(bill.start)} – ${when(bill.end)}, ${bill.status} on chain`),
    el(
      "p",
      `Bill ${bill.total} (claims paid + fee ${bill.fee} + carried from the period before) over ${bill.memberCount} members: ` +
        `${bill.charged} charged, ${bill.carriedOut} carried to the next period.`,
    ),
    el("h3", `Claims paid in the period (${bill.paid.length})`),
    paid,
  ];
}

/** A member's charge: the bill from the chain, the amount and proof from the gateway, checked against the chain's root. */
async function showCharge(period: string, member: string): Promise<void> {
  if (!descriptor || !/^\d+$/.test(period) || !/^0x[0-9a-fA-F]{64}$/.test(member)) {
    chargeBox.replaceChildren(el("p", "Give a member hash (0x and 64 hex digits) and a period number."));
    return;
  }
  chargeBox.replaceChildren(el("p", "Reading the chain…"));
  const provider = new JsonRpcProvider(rpcInput.value, undefined, { batchMaxCount: 1 });
  try {
    const bill = await readPeriodBill(provider, descriptor, BigInt(period));
    if (bill.status !== "confirmed" && bill.status !== "pending") {
      chargeBox.replaceChildren(
        el("p", `Period ${period} has no charges on chain (${bill.status}).`, "verdict pending"),
      );
      return;
    }
    const response = await fetch(`../members/${member}/charges?period=${period}`);
    const served = (await response.json()) as { amount?: string; proof?: string[]; error?: { message: string } };
    if (!response.ok || typeof served.amount !== "string" || !Array.isArray(served.proof)) {
      chargeBox.replaceChildren(
        el("p", served.error?.message ?? `HTTP ${response.status}`, "verdict fail"),
        ...renderBill(bill),
      );
      return;
    }
    const ok = verifyChargeProof(bill.root, {
      period: BigInt(period),
      memberHash: member,
      amount: BigInt(served.amount),
      proof: served.proof,
    });
    const verdict = !ok
      ? ["fail", `NOT VERIFIED: the platform says ${served.amount}, and its proof does not lead to the root on chain.`]
      : bill.status === "confirmed"
        ? ["ok", `VERIFIED: this member pays ${served.amount} for period ${period}, confirmed by the members.`]
        : ["pending", `PENDING: this member pays ${served.amount}; the members have not confirmed the period yet.`];
    chargeBox.replaceChildren(el("p", verdict[1], `verdict ${verdict[0]}`), ...renderBill(bill));
  } catch (error) {
    chargeBox.replaceChildren(el("p", `Cannot read the chain: ${error instanceof Error ? error.message : error}`));
  } finally {
    provider.destroy();
  }
}

async function loadDescriptor(): Promise<void> {
  const pin = $<HTMLParagraphElement>("pin");
  try {
    const response = await fetch("consortium.json");
    descriptor = parseDescriptor(await response.json());
    pin.textContent = `${descriptor.name ?? "Consortium"}: chain ${descriptor.chainId}, Consortium contract ${descriptor.contracts.consortium}`;
    rpcInput.value = descriptor.rpcUrl ?? "";
  } catch (error) {
    pin.className = "unpinned";
    pin.textContent = `UNPINNED: this page has no consortium descriptor (${error instanceof Error ? error.message : error}).`;
  }
}

$<HTMLButtonElement>("verify").addEventListener("click", () => void verify());
$<HTMLFormElement>("claim-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const claimId = $<HTMLInputElement>("claim-id").value.trim();
  location.hash = `claim=${claimId}`;
});
$<HTMLFormElement>("charge-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const member = $<HTMLInputElement>("charge-member").value.trim();
  location.hash = `charge=${$<HTMLInputElement>("charge-period").value.trim()}:${member}`;
});
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", (event) => {
  event.preventDefault();
  dropped = {};
  for (const file of Array.from(event.dataTransfer?.files ?? [])) {
    if (file.name.endsWith(".json")) dropped.bundle = file;
    else dropped.file = file;
  }
  void verify();
});
const onHash = () => {
  const charge = /charge=(\d+):(0x[0-9a-fA-F]{64})/.exec(location.hash);
  if (charge) {
    $<HTMLInputElement>("charge-period").value = charge[1];
    $<HTMLInputElement>("charge-member").value = charge[2];
    void showCharge(charge[1], charge[2]);
    return;
  }
  const claimId = /claim=(\d+)/.exec(location.hash)?.[1];
  if (!claimId) return;
  $<HTMLInputElement>("claim-id").value = claimId;
  void showClaim(claimId);
};
window.addEventListener("hashchange", onHash);
void loadDescriptor().then(onHash);
