import { expect } from "chai";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../scripts/support/ports";
import { isAlive, waitForExit } from "../../api/src/node/processes";
import { exited, run, startProcess } from "../support/processes";

const pidIn = (path: string) => Number.parseInt(readFileSync(path, "utf8"), 10);

describe("npm start: processes, data-directory lock and shutdown", function () {
  this.timeout(300_000);
  let dataDir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "aidproof-processes-"));
    env = {
      AIDPROOF_DATA_DIR: dataDir,
      AIDPROOF_PORT: String(await freePort()),
      AIDPROOF_CHAIN_PORT: String(await freePort()),
      AIDPROOF_LOG_LEVEL: "warn",
    };
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const start = () => startProcess("npm", ["start"], env, /npm run demo/);
  const stackPid = () => pidIn(join(dataDir, "aidproof.lock"));
  const anvilPid = () => pidIn(join(dataDir, "chain", "anvil.pid"));

  it("refuses a second stack on the same data directory, naming the first", async () => {
    const first = await start();
    const chain = anvilPid();
    try {
      const second = await run("npm", ["start"], { ...env, AIDPROOF_PORT: String(await freePort()) }, 120_000);
      expect(second.code).to.equal(1);
      expect(second.stderr).to.include(`another AidProof process (pid ${stackPid()})`);
    } finally {
      first.child.kill("SIGTERM");
      await exited(first.child);
    }
    expect(isAlive(chain), "the first stack's chain node outlived its SIGTERM").to.equal(false);
  });

  it("leaves no chain node behind a kill -9 of the stack, and the next start comes up on the same chain", async () => {
    const first = await start();
    const chain = anvilPid();
    process.kill(stackPid(), "SIGKILL");
    await exited(first.child);
    expect(await waitForExit(chain, 10_000), "the chain node outlived its stack").to.equal(true);
    const second = await start();
    try {
      expect(second.output()).to.not.include("left behind");
    } finally {
      second.child.kill("SIGTERM");
      await exited(second.child);
    }
  });

  it("stops within its bound on SIGTERM while the chain node hangs", async () => {
    const first = await start();
    const [chain, stack] = [anvilPid(), stackPid()];
    process.kill(chain, "SIGSTOP"); // the chain hangs: every RPC call waits
    const began = Date.now();
    process.kill(stack, "SIGTERM");
    expect(await waitForExit(stack, 60_000), "the stack did not stop").to.equal(true);
    const tookMs = Date.now() - began;
    await exited(first.child);
    console.log(`      shutdown with the chain hung: ${(tookMs / 1000).toFixed(1)} s`);
    expect(tookMs).to.be.below(20_000);
    expect(await waitForExit(chain, 5_000), `the hung chain node was left running:\n${first.output()}`).to.equal(true);
    const again = await start(); // the outbox and store reopen
    again.child.kill("SIGTERM");
    await exited(again.child);
  });
});
