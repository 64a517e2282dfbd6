import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { startTestStack, type TestStack } from "../support/stack";
import { decideClaim } from "../support/review";

type Hex = `0x${string}`;

/**
 * A third-party client written from docs/protocol.md with viem alone: no AidProof code signs or
 * encodes anything here. The stack (gateway, chain, validators) is the real one.
 */
describe("docs/protocol.md, followed with viem alone", function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => (stack = await startTestStack()));
  after(() => stack?.close());

  it("files a claim, uploads evidence and disputes a rejection, each accepted", async () => {
    // viem is ESM; this CommonJS test loads it the way the project loads its other ESM-only packages.
    const { createPublicClient, createWalletClient, http, parseAbi } = await import("viem");
    const { generatePrivateKey, privateKeyToAccount } = await import("viem/accounts");
    const gateway = stack.gateway.url;
    const descriptor = (await (await fetch(`${gateway}/consortium/descriptor`)).json()) as {
      chainId: string;
      contracts: { claimRegistry: Hex; evidenceRegistry: Hex };
    };
    const chainId = Number(descriptor.chainId);
    const chain = createPublicClient({ transport: http(stack.rpcUrl) });
    const registry = parseAbi([
      "function nonces(address owner) view returns (uint256)",
      "function disputeFor(uint256 claimId, uint256 nonce, uint256 deadline, bytes signature)",
      "function claim(uint256 claimId) view returns ((address claimant, uint64 planId, uint8 state, bool disputed, uint128 amountRequested, uint128 amountApproved, uint48 filedAt, uint48 decidedAt, bytes32 evidenceRoot, bytes32 reasonHash, bytes32 paymentReference, string metadataCid))",
    ]);
    const claimant = privateKeyToAccount(generatePrivateKey());
    const claims = {
      name: "AidProof ClaimRegistry",
      version: "1",
      chainId,
      verifyingContract: descriptor.contracts.claimRegistry,
    } as const;
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const nonce = () =>
      chain.readContract({
        address: claims.verifyingContract,
        abi: registry,
        functionName: "nonces",
        args: [claimant.address],
      });

    // FileClaim, relayed by the gateway.
    const fileClaim = {
      claimant: claimant.address,
      planId: 7n,
      amount: 300_000n,
      metadataCid: "bafkreiviem",
      nonce: await nonce(),
      deadline,
    };
    const filed = await fetch(`${gateway}/claims`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ...Object.fromEntries(Object.entries(fileClaim).map(([k, v]) => [k, v.toString()])),
        signature: await claimant.signTypedData({
          domain: claims,
          primaryType: "FileClaim",
          types: {
            FileClaim: [
              { name: "claimant", type: "address" },
              { name: "planId", type: "uint64" },
              { name: "amount", type: "uint128" },
              { name: "metadataCid", type: "string" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint256" },
            ],
          },
          message: fileClaim,
        }),
      }),
    });
    expect(filed.status, await filed.clone().text()).to.equal(201);
    const claimId = BigInt(((await filed.json()) as { claimId: string }).claimId);

    // Evidence: any unused uint256 as nonce; multipart kind "public" is signed as 0.
    const bytes = randomBytes(200);
    const evidence = {
      claimId,
      contentHash: `0x${createHash("sha256").update(bytes).digest("hex")}` as Hex,
      kind: 0,
      nonce: BigInt(`0x${randomBytes(16).toString("hex")}`),
      deadline,
    };
    const form = new FormData();
    form.set("kind", "public");
    form.set("contentHash", evidence.contentHash);
    form.set("nonce", evidence.nonce.toString());
    form.set("deadline", evidence.deadline.toString());
    form.set(
      "signature",
      await claimant.signTypedData({
        domain: {
          name: "AidProof Evidence",
          version: "1",
          chainId,
          verifyingContract: descriptor.contracts.evidenceRegistry,
        },
        primaryType: "Evidence",
        types: {
          Evidence: [
            { name: "claimId", type: "uint256" },
            { name: "contentHash", type: "bytes32" },
            { name: "kind", type: "uint8" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        message: evidence,
      }),
    );
    form.set("file", new Blob([bytes]), "evidence.bin");
    const uploaded = await fetch(`${gateway}/claims/${claimId}/evidence`, { method: "POST", body: form });
    expect(uploaded.status, await uploaded.clone().text()).to.equal(202);

    // The members reject the claim; the claimant's DisputeClaim (same nonce sequence as FileClaim) is relayed.
    await decideClaim(stack, claimId, "reject", 0n, 300_000n);
    const dispute = { claimId, nonce: await nonce(), deadline };
    const signature = await claimant.signTypedData({
      domain: claims,
      primaryType: "DisputeClaim",
      types: {
        DisputeClaim: [
          { name: "claimId", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      message: dispute,
    });
    const relayer = createWalletClient({
      account: privateKeyToAccount(stack.keys!.gateway as Hex),
      transport: http(stack.rpcUrl),
    });
    const hash = await relayer.writeContract({
      chain: null,
      address: claims.verifyingContract,
      abi: registry,
      functionName: "disputeFor",
      args: [dispute.claimId, dispute.nonce, dispute.deadline, signature],
    });
    expect((await chain.waitForTransactionReceipt({ hash })).status).to.equal("success");
    const after = await chain.readContract({
      address: claims.verifyingContract,
      abi: registry,
      functionName: "claim",
      args: [claimId],
    });
    expect([after.state, after.disputed]).to.deep.equal([5, true]);
  });
});
