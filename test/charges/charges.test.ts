import { expect } from "chai";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet, hexlify, randomBytes, toQuantity, type Signer } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AidProofClient } from "../../api/src/sdk/client";
import { ChargeRegistry__factory, type ChargeRegistry } from "../../typechain-types";
import { BulkKeccak } from "../../api/src/charges/hasher";
import { ChargeCoordinator } from "../../api/src/charges/chargeCoordinator";
import { CHARGE_LEAF_ENCODING } from "../../api/src/charges/chargeTree";
import { buildPeriodCharges, type ChargeManifest } from "../../api/src/charges/periodCharges";
import {
  MembershipLedger,
  derivePeriodCharges,
  readPeriodFacts,
  type ChargeChain,
} from "../../api/src/charges/periodDerivation";
import { membershipDomain, signMembershipChanges, type MembershipChange } from "../../api/src/charges/membership";
import type { MemberChargeView, PeriodChargesView } from "../../api/src/charges/chargeService";
import { createLogger } from "../../api/src/logger";
import { rawCidOfSha256 } from "../../api/src/verify/reason";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin } from "../support/evidence";
import { decideClaim, memberReviewer } from "../support/review";
import { waitFor } from "../support/jury";
import { cli } from "../support/processes";
import { listen } from "../support/httpServer";
import express from "express";

const PERIOD = 3_600;
/** Over 29 members: 3,448 each and 11 of them one fen more. */
const ASKED = 100_003n;
const Status = { Pending: 1, Confirmed: 2, Rejected: 3 };

describe("cost sharing (real stack: gateway, validators, chain, store)", function () {
  this.timeout(180_000);
  let stack: TestStack;
  let provider: JsonRpcProvider;
  let registry: ChargeRegistry;
  let source: ChargeChain;
  let keccak: BulkKeccak;
  let coordinator: ChargeCoordinator;
  let workDir: string;
  const members = Array.from({ length: 30 }, () => hexlify(randomBytes(32)));
  const eligible = members.slice(1).sort();

  async function post(path: string, body: unknown): Promise<{ status: number; body: { error?: { code: string } } }> {
    const response = await fetch(new URL(path, stack.gateway.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
  }

  async function get<T>(path: string): Promise<{ status: number; body: T & { error?: { code: string } } }> {
    const response = await fetch(new URL(path, stack.gateway.url));
    return { status: response.status, body: (await response.json()) as T & { error?: { code: string } } };
  }

  async function signed(signer: Signer, sequence: bigint, changes: MembershipChange[]) {
    const domain = membershipDomain(BigInt(stack.descriptor.chainId), stack.descriptor.contracts.membershipRegistry);
    return {
      sequence: sequence.toString(),
      changes,
      signature: await signMembershipChanges(signer, domain, sequence, changes),
    };
  }

  const settled = (status: number, period = 0n) =>
    waitFor(
      () => registry.charges(period),
      (c) => Number(c.status) === status,
      60_000,
    );

  /** Stores a manifest and its member chunks as the gateway would, and proposes it as the gateway key. */
  async function propose(dir: string, manifest: ChargeManifest, chunkBytes?: Buffer): Promise<void> {
    for (const chunk of manifest.chunks)
      chunk.cid = (await stack.gateway.store.put(chunkBytes ?? (await readFile(join(dir, chunk.file))))).cid;
    const { cid } = await stack.gateway.store.put(Buffer.from(JSON.stringify(manifest)));
    const facts = await readPeriodFacts(source, 0n);
    await stack.gateway.chain.transact(
      () =>
        stack.gateway.chain.chargeRegistry.proposeCharges(
          0,
          manifest.root,
          manifest.memberCount,
          facts.membershipBatches,
          ASKED,
          cid,
        ),
      "refused",
    );
  }

  before(async () => {
    // The gateway's coordinator is off: the tests propose as a rogue operator first, then run it.
    stack = await startTestStack({
      AIDPROOF_CHARGES: "false",
      AIDPROOF_ANNOUNCEMENT_PERIOD_SECONDS: String(PERIOD),
      AIDPROOF_VALIDATOR_GIVE_UP_MS: "3000",
    });
    provider = new JsonRpcProvider(stack.rpcUrl, undefined, { batchMaxCount: 1 });
    registry = ChargeRegistry__factory.connect(stack.descriptor.contracts.chargeRegistry, provider);
    source = {
      provider,
      contracts: stack.descriptor.contracts,
      deploymentBlock: stack.descriptor.deploymentBlock,
      fetch: async (cid) => {
        const parts: Uint8Array[] = [];
        for await (const chunk of stack.gateway.store.get(cid)) parts.push(chunk);
        return Buffer.concat(parts);
      },
    };
    keccak = await BulkKeccak.create();
    workDir = await mkdtemp(join(tmpdir(), "aidproof-charges-test-"));
    coordinator = new ChargeCoordinator(
      stack.gateway.chain,
      stack.gateway.membershipDb,
      stack.gateway.store,
      source,
      new MembershipLedger(source),
      keccak,
      join(stack.dataDir, "charges"),
      createLogger("silent"),
    );
  });
  after(async () => {
    provider?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  describe("POST /members/changes", () => {
    it("queues the platform's signed changes and records them on chain as batches", async () => {
      const platform = new Wallet(stack.keys!.gateway);
      const joins = members.map((member) => ({ kind: "join" as const, member }));
      const accepted = await post("/members/changes", await signed(platform, 1n, joins));
      expect([accepted.status, accepted.body]).to.deep.equal([202, { accepted: 30, sequence: "1" }]);
      const left = await post("/members/changes", await signed(platform, 2n, [{ kind: "leave", member: members[0] }]));
      expect(left.status).to.equal(202);
      await coordinator.recordMembership();
      const membership = stack.gateway.chain.membershipRegistry;
      expect(await membership.batchCount()).to.equal(1n); // both lists in one batch, in order
    });

    it("refuses an outsider's signature, a replayed sequence, a list other than the one signed, and malformed input", async () => {
      const platform = new Wallet(stack.keys!.gateway);
      const rejoin = [{ kind: "join" as const, member: members[0] }];
      const outsider = await post("/members/changes", await signed(Wallet.createRandom(), 3n, rejoin));
      expect([outsider.status, outsider.body.error?.code]).to.deep.equal([401, "INVALID_SIGNATURE"]);
      const replay = await post("/members/changes", await signed(platform, 1n, rejoin));
      expect([replay.status, replay.body.error?.code]).to.deep.equal([409, "STALE_SEQUENCE"]);
      const swapped = { ...(await signed(platform, 3n, rejoin)), changes: [{ kind: "join", member: members[1] }] };
      expect((await post("/members/changes", swapped)).body.error?.code).to.equal("INVALID_SIGNATURE");
      const malformed = await post("/members/changes", {
        ...(await signed(platform, 3n, rejoin)),
        changes: [{ kind: "pause", member: "0x12" }],
      });
      expect([malformed.status, malformed.body.error?.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
      await coordinator.recordMembership();
      expect(await stack.gateway.chain.membershipRegistry.batchCount()).to.equal(1n); // nothing else recorded
    });
  });

  describe("a period's charges", () => {
    before(async () => {
      const claimant = new AidProofClient(stack.gateway.url, Wallet.createRandom(), chainPin(stack));
      const claimId = BigInt(
        (await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" })).claimId,
      );
      await decideClaim(stack, claimId, "approve", ASKED, ASKED);
      const payer = memberReviewer(stack, 2);
      await payer.recordPayout(claimId, "BANK-2026-0042");
      payer.destroy();
      await provider.send("evm_increaseTime", [toQuantity(PERIOD)]); // close period 0
      await provider.send("evm_mine", []);
    });

    it("derive the members left at the close and the bill from the chain", async () => {
      const { built, facts } = await derivePeriodCharges(
        source,
        new MembershipLedger(source),
        keccak,
        0n,
        ASKED,
        join(workDir, "honest"),
      );
      built.tree?.close();
      expect([facts.payouts, facts.paidClaims, facts.membershipBatches]).to.deep.equal([ASKED, 1n, 1]);
      expect([built.manifest.memberCount, built.manifest.charged, built.manifest.base]).to.deep.equal([
        29,
        "100003",
        "3448",
      ]);
    });

    it("refuse at the chain a bill that leaves out a payout", async () => {
      const facts = await readPeriodFacts(source, 0n);
      const error = await stack.gateway.chain.chargeRegistry.proposeCharges
        .staticCall(0, `0x${"11".repeat(32)}`, 29, facts.membershipBatches, ASKED - 1n, "bafkreirogue")
        .catch((e: { data?: string }) => e);
      expect(registry.interface.parseError((error as { data: string }).data)?.name).to.equal(
        "ChargeRegistryBillMismatch",
      );
    });

    it("are rejected by the validators with a member missing, a share altered, or a chunk holding a member twice", async () => {
      const bytes = (list: string[]) => Buffer.concat(list.map((m) => Buffer.from(m.slice(2), "hex")));
      const build = async (name: string, list: string[], total: bigint) => {
        const dir = join(workDir, name);
        const built = await buildPeriodCharges(keccak, { period: 0n, total, cap: 10_000n }, [bytes(list)], dir);
        built.tree?.close();
        return { dir, manifest: built.manifest };
      };
      const rejected = async () => {
        await settled(Status.Rejected);
        const [valid, invalid] = await registry.attestations(0);
        expect([valid.length, invalid.length >= 2]).to.deep.equal([0, true]);
      };

      const missing = await build("missing", eligible.slice(1), ASKED);
      await propose(missing.dir, missing.manifest);
      await rejected();

      const altered = await build("altered", eligible, ASKED + 29n); // everyone one fen more
      await propose(altered.dir, altered.manifest);
      await rejected();

      // The honest root and count, but the member chunk behind the manifest's CID lists member 1 twice.
      const honest = JSON.parse(await readFile(join(workDir, "honest", "manifest.json"), "utf8")) as ChargeManifest;
      await propose(join(workDir, "honest"), honest, bytes([eligible[0], ...eligible.slice(0, -1)]));
      await rejected();
    });

    it("are proposed by the gateway, confirmed M-of-N, and every member's share sums exactly to the bill", async () => {
      await coordinator.chargeNextPeriod();
      const confirmed = await settled(Status.Confirmed);
      const period = await get<PeriodChargesView>("/charges/0");
      expect(period.body).to.include({ status: "confirmed", memberCount: 29, total: "100003", charged: "100003" });
      expect(period.body).to.include({ carriedOut: "0", payouts: "100003", paidClaims: "1", cap: "10000" });
      let sum = 0n;
      const amounts = new Set<string>();
      for (const member of eligible) {
        const { status, body } = await get<MemberChargeView>(`/members/${member}/charges?period=0`);
        expect(status).to.equal(200);
        const leaf = [0n, member, BigInt(body.amount)];
        expect(StandardMerkleTree.verify(confirmed.root, [...CHARGE_LEAF_ENCODING], leaf, body.proof)).to.equal(true);
        sum += BigInt(body.amount);
        amounts.add(body.amount);
      }
      expect(sum).to.equal(ASKED);
      expect([...amounts].sort()).to.deep.equal(["3448", "3449"]);
      expect(await registry.nextPeriod()).to.equal(1n);
    });

    it("has no charge for a member who left, nor for a stranger", async () => {
      for (const member of [members[0], hexlify(randomBytes(32))]) {
        const { status, body } = await get(`/members/${member}/charges?period=0`);
        expect([status, body.error?.code]).to.deep.equal([404, "MEMBER_NOT_CHARGED"]);
      }
      const bad = await get(`/members/0x12/charges?period=0`);
      expect([bad.status, bad.body.error?.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
      const none = await get(`/members/${eligible[0]}/charges?period=1`);
      expect([none.status, none.body.error?.code]).to.deep.equal([404, "CHARGES_NOT_FOUND"]);
    });

    it("serves the same proofs after the gateway lost its copy of the period, rebuilt from the chain", async () => {
      const before = await get<MemberChargeView>(`/members/${eligible[5]}/charges?period=0`);
      await rm(join(stack.dataDir, "charges", "0"), { recursive: true, force: true });
      const after = await get<MemberChargeView>(`/members/${eligible[5]}/charges?period=0`);
      expect([after.status, after.body.amount, after.body.proof]).to.deep.equal([
        200,
        before.body.amount,
        before.body.proof,
      ]);
    });

    it("are shown, verified and recounted by the CLI against the chain alone (spawned aidproof)", async () => {
      const env = {
        AIDPROOF_GATEWAY_URL: stack.gateway.url,
        AIDPROOF_CLIENT_RPC_URL: stack.rpcUrl,
        AIDPROOF_CONSORTIUM: stack.config.descriptorFile,
      };
      const saved = join(workDir, "charge.json");
      const shown = await cli(["charges", "show", eligible[3], "--period", "0", "--out", saved], env);
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout).to.match(
        /pays 344[89]\n.*bill 100003 \(fee 0\) over 29 members[\s\S]*VERIFIED against the root on chain \(confirmed/,
      );
      expect(
        (await cli(["charges", "verify", saved], { ...env, AIDPROOF_GATEWAY_URL: "http://127.0.0.1:9" })).code,
      ).to.equal(0);

      const charge = JSON.parse(await readFile(saved, "utf8")) as MemberChargeView;
      await writeFile(saved, JSON.stringify({ ...charge, amount: (BigInt(charge.amount) - 1n).toString() }));
      const tampered = await cli(["charges", "verify", saved], env);
      expect(tampered.code).to.equal(1);
      expect(tampered.stdout).to.match(/NOT VERIFIED/);

      const recount = await cli(["charges", "recount", "0"], env);
      expect(recount.code, recount.stderr).to.equal(0);
      expect(recount.stdout).to.match(
        /period 0 \(confirmed\): 29 members, bill 100003, 100003 charged, 0 carried, root 0x[0-9a-f]{64}: MATCH/,
      );
      expect(recount.stderr).to.match(/100% \(29 of 29 members\)/);
      expect((await cli(["charges", "recount", "1"], env)).code).to.equal(4); // not yet proposed
      expect((await cli(["charges", "show", "0x12", "--period", "0"], env)).code).to.equal(2);
    });

    it("is not fooled by a gateway that answers with another member's genuine charge", async () => {
      const genuine = (await get<MemberChargeView>(`/members/${eligible[4]}/charges?period=0`)).body;
      const lying = express().get("/members/:memberHash/charges", (_req, res) => {
        res.json(genuine);
      });
      const server = await listen(lying);
      try {
        const shown = await cli(["charges", "show", eligible[9], "--period", "0"], {
          AIDPROOF_GATEWAY_URL: server.url,
          AIDPROOF_CLIENT_RPC_URL: stack.rpcUrl,
          AIDPROOF_CONSORTIUM: stack.config.descriptorFile,
        });
        expect(shown.code).to.equal(1);
        expect(shown.stderr).to.match(/NOT VERIFIED: the gateway answered for member .* not the one asked/);
      } finally {
        await server.close();
      }
    });
  });

  describe("the next period, attacked through its content", () => {
    let derived: Awaited<ReturnType<typeof derivePeriodCharges>>;

    before(async () => {
      // A gateway key records a batch whose CID does not parse, then period 1 closes.
      await stack.gateway.chain.transact(
        () => stack.gateway.chain.membershipRegistry.recordBatch(1, 0, "not-a-cid"),
        "refused",
      );
      await provider.send("evm_increaseTime", [toQuantity(PERIOD)]);
      await provider.send("evm_mine", []);
    });

    it("lets a membership batch whose CID does not parse change nothing", async () => {
      derived = await derivePeriodCharges(source, new MembershipLedger(source), keccak, 1n, 0n, join(workDir, "p1"));
      derived.built.tree?.close();
      expect([derived.facts.membershipBatches, derived.built.manifest.memberCount]).to.deep.equal([2, 29]);
    });

    // The validators reach a verdict, so the unreadable batch did not stall them either.
    it("are judged invalid when the proposer withholds the manifest, after the give-up time", async () => {
      const unserved = rawCidOfSha256(`0x${"42".repeat(32)}`);
      const { manifest } = derived.built;
      await stack.gateway.chain.transact(
        () => stack.gateway.chain.chargeRegistry.proposeCharges(1, manifest.root, manifest.memberCount, 2, 0, unserved),
        "refused",
      );
      await settled(Status.Rejected, 1n);
      const [valid, invalid] = await registry.attestations(1);
      expect([valid.length, invalid.length >= 2]).to.deep.equal([0, true]);
    });
  });
});
