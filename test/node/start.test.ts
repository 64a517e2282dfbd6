import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../scripts/support/ports";
import { cli, exited, rpcAnswers, run, startProcess } from "../support/processes";

describe("npm start + npm run demo (end to end)", function () {
  this.timeout(600_000);

  it("brings the consortium up, runs the demo against it, stops on SIGTERM and restarts with proofs intact", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "aidproof-e2e-"));
    const demoDir = join(dataDir, "demo");
    const [port, chainPort] = [await freePort(), await freePort()];
    const env = {
      AIDPROOF_DATA_DIR: dataDir,
      AIDPROOF_PORT: String(port),
      AIDPROOF_CHAIN_PORT: String(chainPort),
      AIDPROOF_LOG_LEVEL: "warn",
      // The demo waits for its period's announcement: a short period keeps the wait short.
      AIDPROOF_ANNOUNCEMENT_PERIOD_SECONDS: "20",
    };
    const demoEnv = {
      AIDPROOF_GATEWAY_URL: `http://127.0.0.1:${port}`,
      AIDPROOF_CLIENT_RPC_URL: `http://127.0.0.1:${chainPort}`,
      AIDPROOF_DATA_DIR: dataDir,
      AIDPROOF_DEMO_DIR: demoDir,
    };
    try {
      const first = await startProcess("npm", ["start"], env, /npm run demo/);
      expect(first.output()).to.include(`http://127.0.0.1:${port}`);
      const demo = await run("npm", ["run", "demo"], demoEnv, 360_000);
      expect(demo.code, demo.stdout + demo.stderr).to.equal(0);
      expect(demo.stdout).to.match(/verified announcement\.txt .* alone, pinned to .*: VERIFIED/);
      expect(demo.stdout).to.match(/DECIDED 2-of-3, public reason bafkrei/);
      expect(demo.stdout).to.match(/claim \d+ is Disputed/);
      expect(demo.stdout).to.match(/entry VERIFIED against the root on chain/);
      expect(demo.stdout).to.match(/the jury OVERTURNED the rejection: uphold \d+, overturn \d+/);
      expect(demo.stdout).to.match(/MATCHES the tally on chain/);
      expect(demo.stdout).to.match(/ballot INCLUDED, receipt honoured/);
      expect(demo.stdout).to.match(/set the management fee to 8% by proposal/);
      expect(demo.stdout).to.match(
        /period \d+: bill 324000 \(payouts \+ 24000 fee\) over 100 members, 324000 charged, 0 carried/,
      );
      expect(demo.stdout).to.match(/member 0x[0-9a-f]{64} pays 324\d: VERIFIED against the root on chain/);
      const bundle = /npx aidproof verify (\S+)/.exec(demo.stdout)![1];

      first.child.kill("SIGTERM");
      await exited(first.child);
      expect(await rpcAnswers(demoEnv.AIDPROOF_CLIENT_RPC_URL), "the chain node outlived npm start").to.equal(false);

      const second = await startProcess("npm", ["start"], env, /npm run demo/);
      try {
        const verified = await cli([
          "verify",
          bundle,
          "--consortium",
          join(dataDir, "consortium.json"),
          "--rpc",
          demoEnv.AIDPROOF_CLIENT_RPC_URL,
        ]);
        expect(verified.code, verified.stdout).to.equal(0);
      } finally {
        second.child.kill("SIGTERM");
        await exited(second.child);
        expect(await rpcAnswers(demoEnv.AIDPROOF_CLIENT_RPC_URL)).to.equal(false);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
