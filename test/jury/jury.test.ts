import { expect } from "chai";
import { JsonRpcProvider, Wallet, id } from "ethers";
import { AidProofClient, GatewayError } from "../../api/src/sdk/client";
import { JuryCoordinator } from "../../api/src/jury/juryCoordinator";
import { JurySignatures, signCredential } from "../../api/src/jury/ballot";
import { recountCase } from "../../api/src/jury/publicRecount";
import { juryCourtAt, readJuryCase, rosterOf } from "../../api/src/jury/caseReader";
import type { ChoiceName, JurorClient } from "../../api/src/jury/jurorClient";
import type { BallotReceipt } from "../../api/src/jury/juryService";
import { createLogger } from "../../api/src/logger";
import { ClaimRegistry__factory, type JuryCourt } from "../../typechain-types";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin } from "../support/evidence";
import { decideClaim } from "../support/review";
import { makeJurors, registerJurors, waitFor } from "../support/jury";

const ASKED = 300_000n;
const VOTING_SECONDS = 12;

async function expectGatewayError(promise: Promise<unknown>, status: number, code: string) {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    expect([(error as GatewayError).status, (error as GatewayError).code]).to.deep.equal([status, code]);
    return;
  }
  expect.fail(`expected ${status} ${code}`);
}

describe("member jury (real stack: gateway, validators, chain, store)", function () {
  this.timeout(240_000);
  let stack: TestStack;
  let provider: JsonRpcProvider;
  let court: JuryCourt;
  let coordinator: JuryCoordinator;
  let jurors: JurorClient[];

  /** A claim rejected 2-of-3 and disputed by its claimant. */
  async function disputedClaim(): Promise<bigint> {
    const claimant = new AidProofClient(stack.gateway.url, Wallet.createRandom(), chainPin(stack));
    const claimId = BigInt(
      (await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" })).claimId,
    );
    await decideClaim(stack, claimId, "reject", 0n, ASKED);
    await claimant.dispute(claimId);
    return claimId;
  }

  /** Ticks the gateway's jury steps until the case reaches `status`. */
  async function untilStatus(claimId: bigint, status: string, timeoutMs = 60_000) {
    return waitFor(
      async () => {
        await coordinator.tick();
        return readJuryCase(court, claimId);
      },
      (view) => view?.status === status,
      timeoutMs,
    );
  }

  before(async () => {
    // The gateway's jury loop is off: the test ticks it, and plays a rogue operator in between.
    stack = await startTestStack({
      AIDPROOF_JURY: "false",
      AIDPROOF_JURY_VOTING_SECONDS: String(VOTING_SECONDS),
      AIDPROOF_JURY_ROSTER_SIZE: "24",
      AIDPROOF_JURY_MIN_POOL_SIZE: "30",
      AIDPROOF_JURY_MIN_VALID_VOTES: "3",
    });
    provider = new JsonRpcProvider(stack.rpcUrl, undefined, { batchMaxCount: 1 });
    court = juryCourtAt(stack.descriptor.contracts.juryCourt, provider);
    coordinator = new JuryCoordinator(
      stack.gateway.chain,
      stack.gateway.db,
      stack.gateway.juryDb,
      stack.gateway.store,
      stack.gateway.jury,
      createLogger("silent"),
      0,
    );
    jurors = await registerJurors(stack, 36);
    await coordinator.proposePoolIfChanged(true);
    await waitFor(
      () => court.latestPool(),
      (id) => id === 1n,
    ); // the validators checked and confirmed it
  });

  after(async () => {
    for (const j of jurors ?? []) j.destroy();
    provider?.destroy();
    await stack?.close();
  });

  describe("POST /jury/jurors", () => {
    it("refuses a credential not signed by the platform, and another member's voting key", async () => {
      const [forged] = await makeJurors(
        Wallet.createRandom(),
        BigInt(stack.descriptor.chainId),
        stack.descriptor.contracts.juryCourt,
        1,
      );
      await expectGatewayError(jurors[0].register(forged.entry), 400, "INVALID_CREDENTIAL");
      const [other] = await makeJurors(
        new Wallet(stack.keys!.gateway),
        BigInt(stack.descriptor.chainId),
        stack.descriptor.contracts.juryCourt,
        1,
      );
      // A credential for another member, naming juror 0's key: one seat per key.
      const platform = new Wallet(stack.keys!.gateway);
      const credential = { voter: jurors[0].address, memberHash: other.entry.memberHash, qualifiedAt: 1 };
      const signature = await signCredential(
        platform,
        BigInt(stack.descriptor.chainId),
        stack.descriptor.contracts.juryCourt,
        credential,
      );
      await expectGatewayError(jurors[0].register({ ...credential, credential: signature }), 409, "VOTER_KEY_TAKEN");
    });
  });

  describe("a disputed claim, from draw to outcome", () => {
    let claimId: bigint;
    let onRoster: JurorClient[];
    let offRoster: JurorClient[];
    const receipts = new Map<string, BallotReceipt>();

    before(async () => {
      claimId = await disputedClaim();
      const view = await untilStatus(claimId, "Voting");
      const pool = await stack.gateway.jury.pool(view!.poolId);
      const roster = rosterOf(view!, pool);
      onRoster = jurors.filter((j) => roster.has(j.address));
      offRoster = jurors.filter((j) => !roster.has(j.address));
      expect(onRoster.length).to.be.greaterThan(4);
    });

    it("draws from the confirmed pool with the validators' keys, a window fixed by the rules", async () => {
      const view = (await readJuryCase(court, claimId))!;
      expect(view.keyCount).to.be.at.least(view.keyThreshold);
      expect(view.votingClosesAt - view.openedAt).to.be.at.least(VOTING_SECONDS);
      const caseView = await (await fetch(`${stack.gateway.url}/jury/cases/${claimId}`)).json();
      expect(caseView).to.include({ status: "Voting", round: 1 });
      expect(caseView).to.not.have.property("ballots"); // no interim count of any kind
    });

    it("accepts roster ballots with a gateway-signed receipt; a later sequence replaces an earlier one", async () => {
      const choices = onRoster.map((_, i): ChoiceName => (i % 3 === 0 ? "uphold" : "overturn"));
      for (const [i, juror] of onRoster.entries()) receipts.set(juror.address, await juror.vote(claimId, choices[i]));
      // Juror 0 changes its mind: the later ballot replaces the first, and its receipt is the later one.
      const first = receipts.get(onRoster[0].address)!;
      const second = await onRoster[0].vote(claimId, "overturn", 2);
      expect(second.envelopeHash).to.not.equal(first.envelopeHash);
      receipts.set(onRoster[0].address, second);
    });

    it("refuses a non-roster signer, a replayed older sequence, another round and a ballot signed for another case", async () => {
      await expectGatewayError(offRoster[0].vote(claimId, "overturn"), 403, "NOT_A_JUROR");
      await expectGatewayError(onRoster[1].vote(claimId, "uphold", 1), 409, "STALE_SEQUENCE");
      const url = `${stack.gateway.url}/jury/cases/${claimId}/ballots`;
      const juror = onRoster[2];
      const receipt = receipts.get(juror.address)!;
      const post = async (body: object) => {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code };
      };
      const wrongRound = await post({
        round: 2,
        juror: juror.address,
        sequence: 5,
        envelope: `0x${"00".repeat(145)}`,
        signature: `0x${"11".repeat(65)}`,
      });
      expect([wrongRound.status, wrongRound.code]).to.deep.equal([409, "WRONG_ROUND"]);
      // The juror's own ballot for claim 999, replayed to this case: its signature names the other case.
      const view = (await readJuryCase(court, claimId))!;
      const forOtherCase = await juror.sealBallot({ ...view, claimId: "999" }, "uphold", receipt.sequence + 1);
      const replayed = await post(forOtherCase);
      expect([replayed.status, replayed.code]).to.deep.equal([401, "INVALID_SIGNATURE"]);
      const malformed = await post({
        round: 1,
        juror: juror.address,
        sequence: 9,
        envelope: "0x00",
        signature: "0x11",
      });
      expect([malformed.status, malformed.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
    });

    it("refuses a ballot after the deadline; the validators reveal keys only after the seal", async () => {
      const view = (await readJuryCase(court, claimId))!;
      await waitFor(
        async () => Math.floor(Date.now() / 1000),
        (now) => now > view.votingClosesAt,
        30_000,
      );
      await expectGatewayError(onRoster[3].vote(claimId, "uphold", 7), 409, "VOTING_CLOSED");
      expect((await readJuryCase(court, claimId))!.revealedKeys).to.deep.equal([]);
      await untilStatus(claimId, "Sealed");
    });

    it("refuses a tally that disagrees with the sealed manifest; confirms the exact recount and applies it", async () => {
      const sealed = await waitFor(
        () => readJuryCase(court, claimId),
        (v) => (v?.revealedKeys.length ?? 0) >= v!.keyThreshold,
      );
      const overturn = onRoster.length - Math.ceil(onRoster.length / 3) + 1; // juror 0 switched to overturn
      const uphold = onRoster.length - overturn;
      // A rogue gateway swaps the counts: every validator recounts and refuses it.
      await stack.gateway.chain.transact(
        () => stack.gateway.chain.juryCourt.submitTally(claimId, overturn, uphold),
        "x",
      );
      const wrong = (await readJuryCase(court, claimId))!.tallyHash;
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(await court.confirmations(claimId, wrong)).to.deep.equal([]);
      // Nobody confirmed it, so the tally is not locked: the honest count goes in and is confirmed.
      await stack.gateway.chain.transact(
        () => stack.gateway.chain.juryCourt.submitTally(claimId, uphold, overturn),
        "x",
      );
      const decided = await untilStatus(claimId, "Decided");
      expect([decided!.upholdVotes, decided!.overturnVotes, decided!.overturned]).to.deep.equal([
        uphold,
        overturn,
        true,
      ]);
      const claims = ClaimRegistry__factory.connect(stack.descriptor.contracts.claimRegistry, provider);
      expect((await claims.claim(claimId)).state).to.equal(3n); // Approved at the asked amount
      expect(sealed!.ballotCount).to.equal(onRoster.length);
    });

    it("lets anyone recount from IPFS and the chain alone, and gives each juror a proof its receipt was honoured", async () => {
      const fetchVerified = async (cid: string) => {
        const parts: Uint8Array[] = [];
        for await (const chunk of stack.gateway.store.get(cid)) parts.push(chunk);
        return Buffer.concat(parts);
      };
      const recount = await recountCase(provider, stack.descriptor, claimId, fetchVerified);
      expect(recount.matches).to.equal(true);
      expect(recount.invalid).to.deep.equal([]);
      const check = await onRoster[0].checkProof(claimId, receipts.get(onRoster[0].address));
      expect([check.included, check.honoured]).to.deep.equal([true, true]);
    });

    it("detects a dropped ballot from the juror's receipt", async () => {
      // What a dropping gateway leaves a juror with: a receipt it signed, and no ballot in the set.
      const juror = offRoster[1];
      const view = (await readJuryCase(court, claimId))!;
      const signatures = new JurySignatures(BigInt(stack.descriptor.chainId), stack.descriptor.contracts.juryCourt);
      const message = {
        claimId,
        round: 1,
        juror: juror.address,
        sequence: 1,
        envelopeHash: id("dropped"),
        receivedAt: view.votingClosesAt - 5,
      };
      const receipt: BallotReceipt = {
        ...message,
        claimId: claimId.toString(),
        gateway: stack.gateway.chain.gatewayAddress,
        signature: signatures.signReceipt(message, Buffer.from(stack.keys!.gateway.slice(2), "hex")),
      };
      await juror.verifyReceipt(receipt); // a genuine gateway signature
      const check = await juror.checkProof(claimId, receipt);
      expect(check.honoured).to.equal(false);
      expect(check.problem).to.match(/^DROPPED/);
    });
  });
});
