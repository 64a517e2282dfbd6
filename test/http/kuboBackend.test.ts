import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { AidProofClient } from "../../api/src/sdk/client";
import { verifyEvidenceBundle } from "../../api/src/verify/evidence";
import { fetchVerified } from "../../api/src/store/gatewayClient";
import { startJsIpfs, type JsIpfsDaemon } from "../../scripts/support/jsIpfsDaemon";
import { collect, deterministicBytes } from "../support/bytes";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin } from "../support/evidence";

const MiB = 1024 * 1024;

describe("gateway API over the Kubo backend (AIDPROOF_IPFS_BACKEND=kubo)", function () {
  this.timeout(300_000);
  let daemon: JsIpfsDaemon;
  let stack: TestStack;
  let dir: string;

  before(async () => {
    daemon = await startJsIpfs();
    stack = await startTestStack({ AIDPROOF_IPFS_BACKEND: "kubo", AIDPROOF_KUBO_URL: daemon.rpcUrl });
    dir = await mkdtemp(join(tmpdir(), "aidproof-kubo-api-"));
  });
  after(async () => {
    await stack?.close();
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores uploads in the Kubo node, serves them trustlessly, and the validators confirm them from it", async () => {
    const client = new AidProofClient(stack.gateway.url, Wallet.createRandom(), chainPin(stack));
    const { claimId } = await client.createClaim({ planId: 1n, amount: 1000n, metadataCid: "bafkreikubo" });
    const large = deterministicBytes(3 * MiB + 5, "kubo-large"); // several blocks: a DAG, not one block
    await writeFile(join(dir, "large.bin"), large);
    await writeFile(join(dir, "private.txt"), "diagnosis");
    const pub = await client.submitEvidence(BigInt(claimId), join(dir, "large.bin"), { kind: "public" });
    const priv = await client.submitEvidence(BigInt(claimId), join(dir, "private.txt"), { kind: "private" });

    for (const { cid } of [pub, priv]) {
      // The Kubo node itself has the root block and pins it: the gateway kept nothing of its own.
      const stat = await fetch(`${daemon.rpcUrl}/api/v0/block/stat?arg=${cid}&offline=true`, { method: "POST" });
      expect(stat.status, `block/stat ${cid}`).to.equal(200);
      const pins = await fetch(`${daemon.rpcUrl}/api/v0/pin/ls?arg=${cid}`, { method: "POST" });
      expect(pins.status, `pin/ls ${cid}`).to.equal(200);
    }
    expect((await collect(fetchVerified(stack.gateway.url, pub.cid))).equals(large)).to.equal(true);

    for (const { receiptId } of [pub, priv]) {
      const confirmed = await client.waitForReceipt(receiptId, "confirmed", 120_000);
      expect(confirmed.attestations!.filter((a) => a.valid).length).to.be.at.least(2);
      const verification = await verifyEvidenceBundle(confirmed.proof, {
        descriptor: stack.descriptor,
        rpcUrl: stack.rpcUrl,
      });
      expect(verification.ok, JSON.stringify(verification.checks)).to.equal(true);
    }
  });
});
