import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, upload, stackInfo } from "../support/evidence";
import { exited, startProcess } from "../support/processes";
import { freePort } from "../../scripts/support/ports";
import { AidProofClient } from "../../api/src/sdk/client";
import { verifyEvidenceBundle } from "../../api/src/verify/evidence";
import { fetchVerified } from "../../api/src/store/gatewayClient";
import { collect } from "../support/bytes";
import { EvidenceRegistry__factory } from "../../typechain-types";
import type { BatchManifest } from "../../api/src/batcher/manifest";

const ROUNDS = 3;
const CLIENTS = 8;

describe("gateway crash (kill -9 at random moments)", function () {
  this.timeout(300_000);
  let stack: TestStack;
  let gatewayDir: string;
  let gateway: ChildProcess | undefined;

  before(async () => {
    // The chain and contracts of a test stack; the gateway under test runs as a child process.
    stack = await startTestStack({ AIDPROOF_VALIDATORS: "false" });
    await stack.gateway.stop();
    gatewayDir = await mkdtemp(join(tmpdir(), "aidproof-crash-"));
  });
  after(async () => {
    gateway?.kill("SIGKILL");
    await stack?.chainNode?.stop();
    await rm(gatewayDir, { recursive: true, force: true });
    await rm(stack.dataDir, { recursive: true, force: true });
  });

  it("anchors every acknowledged item exactly once, and its proof verifies", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      AIDPROOF_DATA_DIR: gatewayDir,
      AIDPROOF_PORT: String(port),
      AIDPROOF_RPC_URL: stack.rpcUrl,
      AIDPROOF_GATEWAY_KEY: stack.keys!.gateway,
      AIDPROOF_DEPLOYMENT_FILE: stack.config.deploymentFile,
      AIDPROOF_BATCH_INTERVAL_MS: "100",
      AIDPROOF_BATCH_MAX_ITEMS: "25",
      AIDPROOF_LOG_LEVEL: "warn",
      TS_NODE_TRANSPILE_ONLY: "true",
    };
    const launch = async () => {
      const started = await startProcess(
        process.execPath,
        [require.resolve("ts-node/dist/bin.js"), "scripts/start.ts"],
        env,
        /npm run demo/,
      );
      gateway = started.child;
    };
    const info = stackInfo(stack, url);

    await launch();
    const claimant = Wallet.createRandom();
    const claimId = BigInt((await fileClaim(info, claimant)).body.claimId as string);
    const acknowledged = new Map<string, string>(); // receipt id -> nonce
    let nonce = 0n;

    for (let round = 0; round < ROUNDS; ++round) {
      let stop = false;
      const clients = Array.from({ length: CLIENTS }, async () => {
        while (!stop) {
          const n = ++nonce;
          try {
            const res = await upload(info, { claimId, bytes: Buffer.from(`item ${n}`), signer: claimant, nonce: n });
            if (res.status === 202) acknowledged.set(res.body.receiptId as string, n.toString());
          } catch {
            return; // the gateway died mid-request: not acknowledged
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 2000));
      gateway!.kill("SIGKILL");
      stop = true;
      await exited(gateway!);
      await Promise.all(clients);
      await launch();
    }
    expect(acknowledged.size).to.be.greaterThan(20);

    const client = new AidProofClient(url);
    for (const [receiptId] of acknowledged) {
      const receipt = await client.waitForReceipt(receiptId, "anchored", 60_000);
      const verification = await verifyEvidenceBundle(receipt.proof, {
        descriptor: stack.descriptor,
        rpcUrl: stack.rpcUrl,
      });
      expect(verification.status, `${receiptId}: ${JSON.stringify(verification.checks)}`).to.be.oneOf([
        "VERIFIED",
        "PENDING",
      ]);
    }

    // Exactly once: across every batch anchored on chain, each acknowledged nonce appears once.
    const provider = new JsonRpcProvider(stack.rpcUrl, undefined, { batchMaxCount: 1 });
    const registry = EvidenceRegistry__factory.connect(stack.deployment.addresses.evidenceRegistry, provider);
    const counts = new Map<string, number>();
    for (const log of await registry.queryFilter(registry.filters.BatchAnchored(), 0)) {
      const manifest = JSON.parse(
        (await collect(fetchVerified(url, log.args.manifestCid))).toString(),
      ) as BatchManifest;
      for (const leaf of manifest.leaves) counts.set(leaf.nonce, (counts.get(leaf.nonce) ?? 0) + 1);
    }
    for (const [receiptId, n] of acknowledged) expect(counts.get(n), `receipt ${receiptId}`).to.equal(1);
    expect([...counts.values()].every((c) => c === 1)).to.equal(true);
    provider.destroy();
  });
});
