import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { Wallet } from "ethers";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, upload, stackInfo } from "../support/evidence";
import { exited, run, startProcess } from "../support/processes";
import { AidProofClient } from "../../api/src/sdk/client";

describe("standalone validator processes (npm run validator)", function () {
  this.timeout(180_000);
  let stack: TestStack;
  const children: ChildProcess[] = [];

  before(async () => {
    stack = await startTestStack({ AIDPROOF_VALIDATORS: "false" });
  });
  after(async () => {
    for (const child of children) {
      child.kill("SIGTERM");
      await exited(child);
    }
    await stack?.close();
  });

  it("two members' validators, each its own process reading content through the trustless gateway, confirm a batch", async () => {
    for (const member of stack.keys!.members.slice(0, 2)) {
      const { child } = await startProcess(
        process.execPath,
        [require.resolve("ts-node/dist/bin.js"), "scripts/validator.ts"],
        {
          TS_NODE_TRANSPILE_ONLY: "true",
          AIDPROOF_RPC_URL: stack.rpcUrl,
          AIDPROOF_VALIDATOR_KEY: member.validatorKey,
          AIDPROOF_GATEWAY_URL: stack.gateway.url,
          AIDPROOF_DEPLOYMENT_FILE: stack.config.deploymentFile,
        },
        /validator running/,
      );
      children.push(child);
    }
    const info = stackInfo(stack);
    const claimant = Wallet.createRandom();
    const claimId = BigInt((await fileClaim(info, claimant)).body.claimId as string);
    const res = await upload(info, { claimId, bytes: Buffer.from("checked by two members"), signer: claimant });
    const receipt = await new AidProofClient(info.url).waitForReceipt(
      res.body.receiptId as string,
      "confirmed",
      60_000,
    );
    expect(receipt.status).to.equal("confirmed");
    expect(receipt.attestations!.filter((a) => a.valid)).to.have.length(2);
  });

  it("exits 2 with a message naming a missing setting", async () => {
    const result = await run(process.execPath, [require.resolve("ts-node/dist/bin.js"), "scripts/validator.ts"], {
      TS_NODE_TRANSPILE_ONLY: "true",
      AIDPROOF_RPC_URL: "",
      AIDPROOF_VALIDATOR_KEY: "",
      AIDPROOF_GATEWAY_URL: "",
    });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("AIDPROOF_VALIDATOR_KEY");
  });
});
