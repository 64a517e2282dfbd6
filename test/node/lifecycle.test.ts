import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../scripts/support/ports";
import { anvilBinary } from "../../api/src/node/anvil";
import { exited, rpcAnswers, run, startProcess } from "../support/processes";

const START = [require.resolve("ts-node/dist/bin.js"), "scripts/start.ts"];
const READY = /npm run demo/;

/** SIGTERM, then how the process ended: "code 0" for a clean stop. */
async function terminated(stack: { child: ChildProcess; output: () => string }): Promise<string> {
  const ended = once(stack.child, "exit");
  stack.child.kill("SIGTERM");
  const [code, signal] = (await ended) as [number | null, string | null];
  return code === null ? `signal ${signal}: ${stack.output()}` : `code ${code}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Polls until `condition` holds; fails after `ms` (a generous bound: what is tested is that it ends). */
async function eventually(condition: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200)))
    if (await condition()) return;
  throw new Error(`${what}: not within ${ms} ms`);
}

/** A running process by its command line (and parent), found in /proc: not through files the code under test writes. */
function findProcess(match: (commandLine: string, parent: number) => boolean): number {
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (match(commandLine, parent)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error("no such process");
}

const anvilOn = (port: string) => findProcess((c) => c.includes("anvil") && c.includes(`--port ${port} `));

describe("local stack lifecycle (npm start, kill -9, SIGTERM with the chain down, data-directory lock)", function () {
  this.timeout(400_000);
  let dataDir: string;
  let env: Record<string, string>;
  let rpcUrl: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "aidproof-lifecycle-"));
    const chainPort = await freePort();
    rpcUrl = `http://127.0.0.1:${chainPort}`;
    env = {
      AIDPROOF_DATA_DIR: dataDir,
      AIDPROOF_PORT: String(await freePort()),
      AIDPROOF_CHAIN_PORT: String(chainPort),
      AIDPROOF_LOG_LEVEL: "warn",
      TS_NODE_TRANSPILE_ONLY: "true",
    };
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a second stack on the data directory, and a kill -9 of npm start leaves nothing running", async () => {
    const first = await startProcess("npm", ["start"], env, READY);
    const stackPid = findProcess((c, parent) => c.includes("scripts/start.ts") && parent === first.child.pid);
    const anvilPid = anvilOn(env.AIDPROOF_CHAIN_PORT);
    try {
      const second = await run(process.execPath, START, { ...env, AIDPROOF_PORT: String(await freePort()) });
      expect(second.code).to.equal(1);
      expect(second.stderr).to.include(`data directory ${dataDir} is in use by an AidProof stack`);
      expect(second.stderr).to.include(`pid ${stackPid}`);
      expect(await rpcAnswers(rpcUrl), "the first stack's chain").to.equal(true);
    } finally {
      first.child.kill("SIGKILL"); // npm itself: it forwards nothing
      await exited(first.child);
    }
    await eventually(() => !alive(stackPid) && !alive(anvilPid), 30_000, "the stack and anvil outlived npm");
    expect(await rpcAnswers(rpcUrl)).to.equal(false);
    expect(existsSync(join(dataDir, "aidproof.lock"))).to.equal(false);
  });

  it("a kill -9 of the stack process takes anvil down with it, and the next start reuses the chain", async () => {
    const first = await startProcess(process.execPath, START, env, READY);
    const anvilPid = anvilOn(env.AIDPROOF_CHAIN_PORT);
    first.child.kill("SIGKILL");
    await exited(first.child);
    await eventually(() => !alive(anvilPid), 10_000, "anvil outlived its stack");

    const second = await startProcess(process.execPath, START, env, READY); // stale lock taken over
    try {
      expect(second.output()).not.to.include("is in use");
      expect(second.output()).not.to.include("no contracts"); // the state anvil dumped when it was signalled
    } finally {
      expect(await terminated(second)).to.equal("code 0");
    }
    expect(await rpcAnswers(rpcUrl)).to.equal(false);
  });

  it("stops an anvil that a killed stack left running (recorded pid) instead of silently using it", async () => {
    // An orphan as a stack without setpriv (or on another OS) would leave it: its own session, pid recorded.
    const chainDir = join(dataDir, "chain");
    await mkdir(chainDir, { recursive: true });
    const orphan = spawn(
      anvilBinary(),
      ["--port", env.AIDPROOF_CHAIN_PORT, "--state", join(chainDir, "anvil-state.json"), "--silent"],
      { detached: true, stdio: "ignore" },
    );
    orphan.unref();
    await eventually(() => rpcAnswers(rpcUrl), 10_000, "orphan anvil up");
    const startTime = readFileSync(`/proc/${orphan.pid}/stat`, "utf8").split(") ")[1].split(" ")[19];
    await writeFile(join(chainDir, "anvil.pid"), JSON.stringify({ pid: orphan.pid, startTime }));

    const stack = await startProcess(process.execPath, START, env, READY);
    expect(stack.output()).to.include("stopped the chain node a killed stack left running");
    expect(stack.output()).to.include(`"pid":${orphan.pid}`);
    expect(alive(orphan.pid!)).to.equal(false);
    expect(await terminated(stack)).to.equal("code 0");
    expect(await rpcAnswers(rpcUrl), "a chain node outlived the stack").to.equal(false);
  });

  it("SIGTERM with the chain node frozen (SIGSTOP) ends, exit 0, state consistent for the next start", async () => {
    const stack = await startProcess(process.execPath, START, env, READY);
    const anvilPid = anvilOn(env.AIDPROOF_CHAIN_PORT);
    process.kill(anvilPid, "SIGSTOP");
    const sent = Date.now();
    stack.child.kill("SIGTERM");
    const code = await Promise.race([
      exited(stack.child),
      new Promise((_, fail) =>
        setTimeout(() => fail(new Error(`no exit 60 s after SIGTERM:\n${stack.output()}`)), 60_000),
      ),
    ]);
    console.log(`      (SIGTERM to exit with the chain node stopped: ${Date.now() - sent} ms)`);
    expect(code, stack.output()).to.equal(0);
    expect(alive(anvilPid)).to.equal(false);
    expect(existsSync(join(dataDir, "aidproof.lock"))).to.equal(false);

    // anvil killed mid-dump leaves its state file cut short: the copy from the last start is put back.
    await truncate(join(dataDir, "chain/anvil-state.json"), 100);
    const again = await startProcess(process.execPath, START, env, READY);
    expect(again.output()).to.include("restored the last good copy");
    expect(await terminated(again)).to.equal("code 0");
  });
});
