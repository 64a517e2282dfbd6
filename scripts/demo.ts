/**
 * `npm run demo`: a scripted claimant against the running stack (`npm start`). Files a claim, submits
 * three files (one public, two private), waits until they are anchored and confirmed, writes their
 * proof bundles and verifies one against the chain alone.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Wallet } from "ethers";
import { AidProofClient } from "../api/src/sdk/client";
import { verifyProofBundle } from "../api/src/proof/bundle";
import { deploymentRecordSchema } from "../api/src/config";

async function main(): Promise<void> {
  const gateway = process.env.AIDPROOF_GATEWAY_URL ?? "http://127.0.0.1:8080";
  const rpc = process.env.AIDPROOF_CLIENT_RPC_URL ?? "http://127.0.0.1:8545";
  const out = resolve(process.env.AIDPROOF_DEMO_DIR ?? "demo-output");
  mkdirSync(out, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const claimant = Wallet.createRandom();
  const deploymentFile =
    process.env.AIDPROOF_DEPLOYMENT_FILE ?? join(process.env.AIDPROOF_DATA_DIR ?? "data", "deployment.json");
  const deployment = deploymentRecordSchema.parse(JSON.parse(readFileSync(deploymentFile, "utf8")));
  // The claimant reads members and keys from the chain, pinned to the deployment: never from the gateway.
  const client = new AidProofClient(gateway, claimant, { rpcUrl: rpc, deployment });
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

  const check = await verifyProofBundle(
    JSON.parse(readFileSync(bundles[0], "utf8")),
    rpc,
    readFileSync(join(out, files[0].name)),
  );
  say(`verified ${files[0].name} against ${rpc} alone: ${check.ok ? "OK" : "FAILED"}`);
  say(`proof bundles: ${out}`);
  say(`try: npx aidproof verify ${bundles[0]} --rpc ${rpc} --file ${join(out, files[0].name)}`);
  if (!check.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
