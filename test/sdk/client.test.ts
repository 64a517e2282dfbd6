import { expect } from "chai";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { deployLookalike } from "../support/lookalike";
import { AidProofClient } from "../../api/src/sdk/client";
import { parseEnvelopeHeader } from "../../api/src/crypto/envelope";
import { normalizeKey } from "../../api/src/evidence/itemRules";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin } from "../support/evidence";
import { collect } from "../support/bytes";

/**
 * A gateway operator (or anyone between it and the claimant over plain http) that passes every
 * request through but adds its own key to the consortium it reports.
 */
async function lyingGateway(target: string, extraKey: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const upstream = request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (up) => {
      if (req.url !== "/consortium") {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
        return;
      }
      void collect(up).then((body) => {
        const info = JSON.parse(body.toString("utf8"));
        info.members.push({ account: Wallet.createRandom().address, name: "Operator", encryptionKey: extraKey });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(info));
      });
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("AidProofClient (SDK)", function () {
  this.timeout(120_000);
  let stack: TestStack;
  let dir: string;

  before(async () => {
    stack = await startTestStack();
    dir = await mkdtemp(join(tmpdir(), "aidproof-sdk-"));
  });
  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe("submitEvidence", () => {
    it("encrypts for the members the chain names, whatever the gateway reports", async () => {
      const attacker = Wallet.createRandom();
      const proxy = await lyingGateway(stack.gateway.url, attacker.signingKey.compressedPublicKey);
      try {
        const client = new AidProofClient(proxy.url, Wallet.createRandom(), chainPin(stack));
        const { claimId } = await client.createClaim({ planId: 1n, amount: 10n, metadataCid: "bafkreisdk" });
        await writeFile(join(dir, "report.txt"), "diagnosis");
        const { cid } = await client.submitEvidence(BigInt(claimId), join(dir, "report.txt"), { kind: "private" });

        const envelope = await collect(stack.gateway.store.get(cid));
        const recipients = parseEnvelopeHeader(envelope).recipients.map((r) => r.publicKey);
        const members = (await stack.gateway.chain.consortiumInfo()).members.map((m) => normalizeKey(m.encryptionKey));
        expect(recipients).to.have.members(members);
        expect(recipients).to.not.include(normalizeKey(attacker.signingKey.compressedPublicKey));
      } finally {
        proxy.server.close();
      }
    });
  });

  describe("consortium", () => {
    it("refuses a pin whose RPC endpoint serves another chain", async () => {
      const pin = chainPin(stack);
      const client = new AidProofClient(stack.gateway.url, Wallet.createRandom(), {
        ...pin,
        descriptor: { ...pin.descriptor, chainId: "1" },
      });
      await expect(client.consortium()).to.be.rejectedWith(/serves the pinned chain: no \(chain 31337\)/);
    });

    it("refuses registries that do not answer to the pinned Consortium (a look-alike deployment)", async () => {
      const { lookalike } = await deployLookalike(stack);
      const pin = chainPin(stack);
      const client = new AidProofClient(stack.gateway.url, Wallet.createRandom(), {
        ...pin,
        descriptor: {
          ...pin.descriptor,
          contracts: { ...pin.descriptor.contracts, evidenceRegistry: lookalike.addresses.evidenceRegistry },
        },
      });
      await expect(client.consortium()).to.be.rejectedWith(/the pinned Consortium governs the registries: no/);
    });

    it("needs a pin to sign", async () => {
      const client = new AidProofClient(stack.gateway.url, Wallet.createRandom());
      await expect(client.createClaim({ planId: 1n, amount: 1n, metadataCid: "x" })).to.be.rejectedWith(/pinned/);
    });
  });
});
