/**
 * Gas per anchored evidence item (batches of 1, 10, 100, 1,000) beside a one-record-per-transaction
 * contract and EAS (attest, multiAttest, multiTimestamp), all on one in-process Hardhat chain in one
 * run; then the gas of each claim and jury step.   npm run bench:gas
 *   (BATCH_SIZES=1,10,100,1000 NAIVE_SAMPLES=20 to change; BATCH_SIZES=1,10 NAIVE_SAMPLES=2 is a quick run)
 */
import { ethers, network } from "hardhat";
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { ContractFactory, SigningKey, ZeroAddress, ZeroHash, id, type ContractTransactionResponse } from "ethers";
import EasArtifact from "@ethereum-attestation-service/eas-contracts/artifacts/contracts/EAS.sol/EAS.json";
import SchemaRegistryArtifact from "@ethereum-attestation-service/eas-contracts/artifacts/contracts/SchemaRegistry.sol/SchemaRegistry.json";
import { deployAidProof } from "../deploy/deployAidProof";
import { NaiveEvidenceStore__factory } from "../../typechain-types";
import { buildEvidenceTree, EvidenceKind, type EvidenceLeaf } from "../../api/src/chain/evidenceLeaf";
import { buildPoolTree } from "../../api/src/jury/roster";
import { makeJurors, manifestOf, TEST_JURY_RULES as BENCH_JURY_RULES } from "../../test/support/jury";
import { FILE_CLAIM_TYPES, readDomain } from "../../api/src/chain/typedData";
import { ProposalAction, proposalParams } from "../../api/src/chain/governance";

const BATCH_SIZES = (process.env.BATCH_SIZES ?? "1,10,100,1000").split(",").map(Number);
const NAIVE_SAMPLES = Number(process.env.NAIVE_SAMPLES ?? 20);
const LARGEST = Math.max(...BATCH_SIZES);
const CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

function leaves(n: number, claimant: string, salt: string): EvidenceLeaf[] {
  return Array.from({ length: n }, (_, i) => ({
    claimId: BigInt(i + 1),
    claimant,
    contentHash: id(`${salt}-${i}`),
    kind: EvidenceKind.Private,
    cid: CID,
  }));
}

const fmt = (n: number | bigint, digits = 0) =>
  Number(n).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  // EAS multiAttest of 1,000 items needs more than the default 30M block gas limit.
  const bigLimit = 2n ** 30n;
  await network.provider.request({ method: "evm_setBlockGasLimit", params: ["0x" + bigLimit.toString(16)] });
  const [deployer, v1, v2, v3, gateway, claimant] = await ethers.getSigners();
  const validators = [v1, v2, v3];
  const d = await deployAidProof(deployer, {
    members: validators.map((v, i) => ({
      account: v.address,
      name: `Org ${i + 1}`,
      encryptionKey: new SigningKey(id(`bench-${i}`)).compressedPublicKey,
    })),
    threshold: 2,
    gateways: [gateway.address],
    disputeWindowSeconds: 7 * 86400,
    announcementPeriodSeconds: 14 * 86400,
  });

  // --- evidence anchoring
  const aidproof = new Map<number, bigint>();
  for (const n of BATCH_SIZES) {
    const tree = buildEvidenceTree(leaves(n, claimant.address, `aidproof-${n}`));
    aidproof.set(n, await gasOf(d.evidenceRegistry.connect(gateway).anchorBatch(tree.root, id(`salt-${n}`), n, CID)));
  }

  const naive = await new NaiveEvidenceStore__factory(deployer).deploy();
  let naiveTotal = 0n;
  for (let i = 0; i < NAIVE_SAMPLES; ++i) naiveTotal += await gasOf(naive.record(id(`naive-${i}`), CID));
  const naivePerItem = Number(naiveTotal) / NAIVE_SAMPLES;

  const registry = await new ContractFactory(
    SchemaRegistryArtifact.abi,
    SchemaRegistryArtifact.bytecode,
    deployer,
  ).deploy();
  const eas = await new ContractFactory(EasArtifact.abi, EasArtifact.bytecode, deployer).deploy(
    await registry.getAddress(),
  );
  const schema = "bytes32 contentHash,string cid";
  await (await registry.getFunction("register")(schema, ZeroAddress, false)).wait();
  const [registered] = await registry.queryFilter(registry.filters.Registered());
  const schemaUid = (registered as unknown as { args: { uid: string } }).args.uid;
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const attestation = (i: number, salt: string) => ({
    recipient: claimant.address,
    expirationTime: 0n,
    revocable: false,
    refUID: ZeroHash,
    data: coder.encode(["bytes32", "string"], [id(`${salt}-${i}`), CID]),
    value: 0n,
  });
  let attestTotal = 0n;
  for (let i = 0; i < NAIVE_SAMPLES; ++i) {
    attestTotal += await gasOf(eas.getFunction("attest")({ schema: schemaUid, data: attestation(i, "single") }));
  }
  const easAttest = Number(attestTotal) / NAIVE_SAMPLES;
  const multiAttest = new Map<number, bigint>();
  const multiTimestamp = new Map<number, bigint>();
  for (const n of BATCH_SIZES) {
    const data = Array.from({ length: n }, (_, i) => attestation(i, `multi-${n}`));
    multiAttest.set(
      n,
      await gasOf(eas.getFunction("multiAttest")([{ schema: schemaUid, data }], { gasLimit: bigLimit / 2n })),
    );
    const stamps = Array.from({ length: n }, (_, i) => id(`stamp-${n}-${i}`));
    multiTimestamp.set(n, await gasOf(eas.getFunction("multiTimestamp")(stamps, { gasLimit: bigLimit / 2n })));
  }

  console.log("\nGas per anchored evidence item (same chain, same run)\n");
  console.log("items/batch  AidProof anchorBatch  naive 1 tx/item  EAS attest  EAS multiAttest  EAS multiTimestamp");
  for (const n of BATCH_SIZES) {
    console.log(
      [
        fmt(n).padStart(11),
        fmt(Number(aidproof.get(n)!) / n, 1).padStart(21),
        fmt(naivePerItem, 1).padStart(16),
        fmt(easAttest, 1).padStart(11),
        fmt(Number(multiAttest.get(n)!) / n, 1).padStart(16),
        fmt(Number(multiTimestamp.get(n)!) / n, 1).padStart(19),
      ].join(" "),
    );
  }
  const ours = Number(aidproof.get(LARGEST)!) / LARGEST;
  console.log(`\nAt ${fmt(LARGEST)} items per batch: ${fmt(ours, 1)} gas/item (target <= 100 at 1,000)`);
  console.log(
    `  EAS multiAttest / AidProof    = ${fmt(Number(multiAttest.get(LARGEST)!) / LARGEST / ours, 0)}x (target >= 1,000x at 1,000)`,
  );
  console.log(
    `  EAS multiTimestamp / AidProof = ${fmt(Number(multiTimestamp.get(LARGEST)!) / LARGEST / ours, 0)}x (target >= 200x at 1,000)`,
  );
  console.log(`  EAS attest / AidProof         = ${fmt(easAttest / ours, 0)}x`);
  console.log(`  naive 1 tx/item / AidProof    = ${fmt(naivePerItem / ours, 0)}x`);

  // --- claim and jury steps
  const govern = async (action: number, params: string) => {
    const pid = (await d.consortium.proposalCount()) + 1n;
    await (await d.consortium.connect(v1).propose(action, params, (await time.latest()) + 3600)).wait();
    for (const v of [v2, v3]) await (await d.consortium.connect(v).approve(pid)).wait();
    await (await d.consortium.connect(v1).execute(pid)).wait();
  };
  const steps: [string, bigint][] = [];
  const step = async (name: string, tx: Promise<ContractTransactionResponse>) => steps.push([name, await gasOf(tx)]);
  const root = id("evidence-set");
  const REASON = id("reason document");
  await step("fileClaim (claimant direct)", d.claimRegistry.connect(claimant).fileClaim(1, 300_000, CID));
  const message = {
    claimant: claimant.address,
    planId: 1n,
    amount: 300_000n,
    metadataCid: CID,
    nonce: 0n,
    deadline: BigInt((await time.latest()) + 3600),
  };
  const signature = await claimant.signTypedData(await readDomain(d.claimRegistry), FILE_CLAIM_TYPES, message);
  await step(
    "fileClaimFor (relayed EIP-712)",
    d.claimRegistry.connect(gateway).fileClaimFor(claimant.address, 1, 300_000, CID, 0, message.deadline, signature),
  );
  await step("startReview", d.claimRegistry.connect(v1).startReview(1));
  await step("endorse", d.claimRegistry.connect(v1).endorse(1, 2, root, 0, REASON));
  await step("endorse (M-th, finalizes)", d.claimRegistry.connect(v2).endorse(1, 2, root, 0, REASON));
  await step("dispute", d.claimRegistry.connect(claimant).dispute(1));
  await govern(ProposalAction.SetJuryRules, proposalParams.juryRules(BENCH_JURY_RULES));
  const pool = buildPoolTree(manifestOf(await makeJurors(gateway, d.chainId, d.addresses.juryCourt, 10)));
  await step("proposePool", d.juryCourt.connect(gateway).proposePool(pool.root, 10, CID));
  await step("confirmPool", d.juryCourt.connect(v1).confirmPool(1));
  await step("confirmPool (M-th, confirms)", d.juryCourt.connect(v2).confirmPool(1));
  await step("openCase", d.juryCourt.connect(claimant).openCase(1));
  for (const [i, v] of [v1, v2].entries())
    await step(`publishBallotKey ${i + 1}`, d.juryCourt.connect(v).publishBallotKey(1, id(`key-${i}`)));
  await mine(1);
  await step("draw", d.juryCourt.connect(claimant).draw(1));
  await time.increaseTo(Number(await d.juryCourt.votingClosesAt(1)) + 1);
  await step("sealBallots", d.juryCourt.connect(gateway).sealBallots(1, id("ballots"), CID, 5));
  for (const [i, v] of [v1, v2].entries())
    await step(`revealBallotKey ${i + 1}`, d.juryCourt.connect(v).revealBallotKey(1, id(`secret-${i}`)));
  await step("submitTally", d.juryCourt.connect(gateway).submitTally(1, 1, 4));
  const { tallyHash } = await d.juryCourt.juryCase(1);
  await step("confirmTally", d.juryCourt.connect(v1).confirmTally(1, tallyHash));
  await step("confirmTally (M-th, applies outcome)", d.juryCourt.connect(v2).confirmTally(1, tallyHash));
  await step("recordPayout", d.claimRegistry.connect(v3).recordPayout(1, id("payment-1")));
  await step("membership recordBatch", d.membershipRegistry.connect(gateway).recordBatch(100_000, 0, CID));
  const [, periodEnd] = await d.announcementRegistry.periodBounds(0);
  await time.increaseTo(periodEnd);
  await step("publish announcement", d.announcementRegistry.connect(gateway).publish(0, id("announcement"), 2, CID));
  await step("attest announcement", d.announcementRegistry.connect(v1).attest(0, id("announcement"), true));
  await step(
    "attest announcement (M-th, confirms)",
    d.announcementRegistry.connect(v2).attest(0, id("announcement"), true),
  );
  const { total } = await d.chargeRegistry.bill(0);
  await step(
    "proposeCharges",
    d.chargeRegistry.connect(gateway).proposeCharges(0, id("charges"), 100_000, 1, total, CID),
  );
  await step("attest charges", d.chargeRegistry.connect(v1).attest(0, id("charges"), true));
  await step("attest charges (M-th, confirms)", d.chargeRegistry.connect(v2).attest(0, id("charges"), true));

  // Explicit finalize: quorum reached only after the threshold was lowered.
  await d.claimRegistry.connect(v1).startReview(2);
  await govern(ProposalAction.SetThreshold, proposalParams.threshold(3));
  await d.claimRegistry.connect(v1).endorse(2, 1, root, 300_000, REASON);
  await d.claimRegistry.connect(v2).endorse(2, 1, root, 300_000, REASON);
  await govern(ProposalAction.SetThreshold, proposalParams.threshold(2));
  await step("finalize (after threshold change)", d.claimRegistry.connect(v3).finalize(2, 1, root, 300_000, REASON));
  const anchored = await d.evidenceRegistry.queryFilter(d.evidenceRegistry.filters.BatchAnchored());
  const [small, large] = [anchored[0].args, anchored[anchored.length - 1].args];
  await step("attestBatch", d.evidenceRegistry.connect(v1).attestBatch(small.root, true, []));
  await step("attestBatch (M-th, confirms)", d.evidenceRegistry.connect(v2).attestBatch(small.root, true, []));
  // One leaf of the LARGEST batch named invalid: the confirming verdict excludes it.
  const oneBad = [buildEvidenceTree(leaves(LARGEST, claimant.address, `aidproof-${LARGEST}`)).leafHash(0)];
  await step(
    `attestBatch (1 of ${fmt(LARGEST)} leaves invalid)`,
    d.evidenceRegistry.connect(v1).attestBatch(large.root, true, oneBad),
  );
  await govern(ProposalAction.SetThreshold, proposalParams.threshold(3));
  await d.evidenceRegistry.connect(v2).attestBatch(large.root, true, oneBad);
  await govern(ProposalAction.SetThreshold, proposalParams.threshold(2));
  await step("finalizeBatch (after threshold change)", d.evidenceRegistry.finalizeBatch(large.root, true, oneBad));

  console.log("\nGas per claim and jury step\n");
  for (const [name, gas] of steps) console.log(`${name.padEnd(38)} ${fmt(gas).padStart(9)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
