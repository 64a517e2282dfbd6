import { randomBytes } from "node:crypto";
import { JsonRpcProvider, NonceManager, Wallet, parseEther, toQuantity } from "ethers";
import { deployAidProof } from "../../scripts/deploy/deployAidProof";
import { batchHeader, batchRoot } from "../../api/src/chain/evidenceTree";
import type { ProofBundle } from "../../api/src/verify/evidence";
import type { LocalStack } from "../../api/src/node/localStack";

/** An outsider's own AidProof deployment on the stack's chain: itself the only member and gateway. */
export async function deployLookalike(stack: LocalStack) {
  const outsider = new NonceManager(Wallet.createRandom().connect(new JsonRpcProvider(stack.rpcUrl)));
  const address = await outsider.getAddress();
  await stack.gateway.chain.provider.send("anvil_setBalance", [address, toQuantity(parseEther("10"))]);
  const lookalike = await deployAidProof(outsider, {
    members: [
      { account: address, name: "Look-alike", encryptionKey: Wallet.createRandom().signingKey.compressedPublicKey },
    ],
    threshold: 1,
    gateways: [address],
    disputeWindowSeconds: 60,
    announcementPeriodSeconds: 3600,
  });
  return { lookalike, address };
}

/**
 * A forger on the same chain: an outsider deploys its own look-alike EvidenceRegistry and Consortium
 * (itself the only member and gateway), anchors the leaf of a genuine bundle there, confirms it, and
 * hands out a well-formed bundle naming the look-alike registry. Only a pinned verifier can tell.
 */
export async function forgeLookalikeBundle(stack: LocalStack, genuine: ProofBundle): Promise<ProofBundle> {
  const { lookalike, address } = await deployLookalike(stack);
  const salt = `0x${randomBytes(32).toString("hex")}`;
  const manifestCid = genuine.batch.manifestCid;
  const leavesRoot = genuine.leafHash; // a batch of this one leaf
  const anchor = await (await lookalike.evidenceRegistry.anchorBatch(leavesRoot, salt, 1, manifestCid)).wait();
  const root = batchRoot(address, leavesRoot, salt);
  await (await lookalike.evidenceRegistry.attestBatch(root, true, [])).wait();
  const block = await stack.gateway.chain.provider.getBlock(anchor!.blockNumber);
  return {
    ...genuine,
    proof: [batchHeader(address, salt)],
    root,
    batch: {
      index: 0,
      leafCount: 1,
      manifestCid,
      txHash: anchor!.hash,
      blockNumber: anchor!.blockNumber,
      blockTimestamp: block!.timestamp,
    },
    contract: { ...genuine.contract, evidenceRegistry: lookalike.addresses.evidenceRegistry },
  };
}
