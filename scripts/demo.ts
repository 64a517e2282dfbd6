/**
 * `npm run demo`: a scripted claimant against the running stack (`npm start`). Files a claim, submits
 * three files (one public, two private), waits until they are anchored and confirmed, writes their
 * proof bundles and verifies one against the chain alone.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Wallet } from "ethers";
import { AidProofClient } from "../api/src/sdk/client";
import { verifyEvidenceBundle } from "../api/src/verify/evidence";
import { parseDescriptor } from "../api/src/verify/descriptor";

async function main(): Promise<void> {
  const gateway = process.env.AIDPROOF_GATEWAY_URL ?? "http://127.0.0.1:8080";
  const rpc = process.env.AIDPROOF_CLIENT_RPC_URL ?? "http://127.0.0.1:8545";
  const out = resolve(process.env.AIDPROOF_DEMO_DIR ?? "demo-output");
  mkdirSync(out, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const claimant = Wallet.createRandom();
  const descriptorFile =
    process.env.AIDPROOF_CONSORTIUM ?? join(process.env.AIDPROOF_DATA_DIR ?? "data", "consortium.json");
  const descriptor = parseDescriptor(JSON.parse(readFileSync(descriptorFile, "utf8")));
  // The claimant reads members and keys from the chain, pinned to the consortium: never from the gateway.
  const client = new AidProofClient(gateway, claimant, { rpcUrl: rpc, descriptor });
  say(`claimant ${claimant.address} (a fresh key; it holds no ether: the gateway relays)`);

  const { claimId } = await client.createClaim({ planId: 1n, amount: 300_000n, metadataCid: "bafkreidemometadata" });
  say(`filed claim ${claimId}`);

  const files = [
    {
      name: "announcement.txt",
      kind: "public" as const,
      body: `Claim ${claimId}: critical illness, redacted announcement.\n`,
    },
    {
      name: "diagnosis-report.txt",
      kind: "private" as const,
      body: `Diagnosis for claim ${claimId}: confidential.\n`.repeat(200),
    },
    {
      name: "hospital-invoice.txt",
      kind: "private" as const,
      body: `Invoice for claim ${claimId}: RMB 300,000.\n`.repeat(50),
    },
  ];
  const submitted = [];
  for (const f of files) {
    const path = join(out, f.name);
    writeFileSync(path, f.body);
    const result = await client.submitEvidence(BigInt(claimId), path, { kind: f.kind });
    submitted.push(result);
    say(`submitted ${f.name} (${f.kind}): receipt ${result.receiptId}, ${result.cid}`);
  }

  say("waiting for the batch to be anchored and confirmed by M validators...");
  const bundles: string[] = [];
  for (const s of submitted) {
    const receipt = await client.waitForReceipt(s.receiptId, "confirmed", 120_000);
    const path = join(out, `${s.receiptId}.proof.json`);
    writeFileSync(path, `${JSON.stringify(receipt.proof, null, 2)}\n`);
    bundles.push(path);
    say(`${receipt.status}: ${s.receiptId} by ${receipt.attestations?.filter((a) => a.valid).length ?? 0} validators`);
  }

  const check = await verifyEvidenceBundle(JSON.parse(readFileSync(bundles[0], "utf8")), {
    descriptor,
    rpcUrl: rpc,
    file: readFileSync(join(out, files[0].name)),
  });
  say(`verified ${files[0].name} against ${rpc} alone, pinned to ${descriptorFile}: ${check.status}`);
  say(`proof bundles: ${out}`);
  say(
    `try: npx aidproof verify ${bundles[0]} --consortium ${descriptorFile} --rpc ${rpc} --file ${join(out, files[0].name)}`,
  );
  say(`or in a browser: ${gateway}/verify/ (drop ${bundles[0]} and ${join(out, files[0].name)})`);
  say(`the claim's public timeline: ${gateway}/verify/#claim=${claimId}`);
  if (!check.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
