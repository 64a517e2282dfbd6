import type { LocalStack } from "../../api/src/node/localStack";
import { Reviewer } from "../../api/src/review/reviewer";
import { DomainError } from "../../api/src/errors";
import type { ReasonDocument } from "../../api/src/verify/reason";
import type { EvidenceSet } from "../../api/src/evidence/evidenceSet";

/** Member `index` of the local stack, reviewing with its own keys through its own RPC endpoint. */
export function memberReviewer(stack: LocalStack, index: number, gatewayUrl = stack.gateway.url): Reviewer {
  const member = stack.keys!.members[index];
  return new Reviewer({
    rpcUrl: stack.rpcUrl,
    descriptor: stack.descriptor,
    gatewayUrl,
    validatorKey: member.validatorKey,
    encryptionKey: member.encryptionKey,
  });
}

/** A valid public reason document for this decision. */
export function reasonFor(
  claimId: bigint,
  decision: "approve" | "reject",
  amountRequested: bigint,
  amountApproved: bigint,
): ReasonDocument {
  return {
    version: 1,
    type: "aidproof/decision-reason",
    claimId: claimId.toString(),
    decision,
    illnessCode: "CI-07",
    hospitalTier: "tertiary",
    ageBand: "40-59",
    region: "CN-ZJ",
    diagnosisMonth: "2026-10",
    amountRequested: amountRequested.toString(),
    amountApproved: amountApproved.toString(),
    planRule: decision === "approve" ? "2.1 covered illness" : "3.2 waiting period",
    publicText:
      decision === "approve"
        ? "Covered critical illness, diagnosed after the waiting period."
        : "Diagnosed within the waiting period.",
  };
}

/** The claim's evidence set once every batch anchored before its review is settled. */
export async function settledEvidenceSet(
  reviewer: Reviewer,
  claimId: bigint,
  timeoutMs = 60_000,
): Promise<EvidenceSet> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await reviewer.evidenceSet(claimId);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === "EVIDENCE_SET_UNSETTLED") || Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Takes a claim through review to a decision endorsed by `members` (default: two of three, M = 2). */
export async function decideClaim(
  stack: LocalStack,
  claimId: bigint,
  decision: "approve" | "reject",
  amount: bigint,
  amountRequested: bigint,
  members = [0, 1],
): Promise<void> {
  const reviewers = members.map((m) => memberReviewer(stack, m));
  try {
    await reviewers[0].startReview(claimId);
    const { root } = await settledEvidenceSet(reviewers[0], claimId);
    const reason = reasonFor(claimId, decision, amountRequested, decision === "approve" ? amount : 0n);
    for (const r of reviewers) await r.decide(claimId, { decision, amount, reason, evidenceRoot: root });
  } finally {
    for (const r of reviewers) r.destroy();
  }
}
