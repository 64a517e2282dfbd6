import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./ports";

const TOOL_DIR = resolve(__dirname, "../../tools/js-ipfs");
const BIN = join(TOOL_DIR, "node_modules/ipfs/src/cli.js");
const POLYFILL = join(TOOL_DIR, "polyfill.cjs");

export interface JsIpfsDaemon {
  /** Kubo RPC API base URL. */
  rpcUrl: string;
  stop(): Promise<void>;
}

/**
 * Installs the test-only js-ipfs daemon (tools/js-ipfs, its own lockfile) if it is not there yet.
 * `npm install --no-save` rather than `npm ci`: an optional dependency deep in its tree points at a
 * GitHub tarball that cannot be fetched here, which `npm ci` treats as a lockfile mismatch.
 */
export function ensureJsIpfsInstalled(): void {
  if (existsSync(BIN)) return;
  execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: TOOL_DIR,
    stdio: "inherit",
  });
}

/**
 * Starts js-ipfs 0.66 offline on loopback ports in a fresh repository: the only Kubo-RPC-compatible
 * daemon that runs here (no Kubo binary can be installed). Used only to exercise the Kubo adapter.
 */
export async function startJsIpfs(): Promise<JsIpfsDaemon> {
  ensureJsIpfsInstalled();
  const repo = await mkdtemp(join(tmpdir(), "aidproof-js-ipfs-"));
  const env = { ...process.env, IPFS_PATH: repo, NODE_OPTIONS: `--require ${POLYFILL}` };
  execFileSync(process.execPath, [BIN, "init", "--profile", "test"], { env, stdio: "ignore" });
  const configPath = join(repo, "config");
  const config = JSON.parse(await readFile(configPath, "utf8"));
  const [api, gateway, grpc] = [await freePort(), await freePort(), await freePort()];
  config.Addresses = {
    ...config.Addresses,
    Swarm: [], // offline: with any swarm address js-ipfs 0.66 fails to start its transports here
    API: `/ip4/127.0.0.1/tcp/${api}`,
    Gateway: `/ip4/127.0.0.1/tcp/${gateway}`,
    RPC: `/ip4/127.0.0.1/tcp/${grpc}`,
  };
  await writeFile(configPath, JSON.stringify(config));

  const child: ChildProcess = spawn(process.execPath, [BIN, "daemon", "--offline"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`js-ipfs did not start:\n${output}`)), 90_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (output.includes("Daemon is ready")) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`js-ipfs exited with ${code}:\n${output}`));
    });
  });

  return {
    rpcUrl: `http://127.0.0.1:${api}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      await rm(repo, { recursive: true, force: true });
    },
  };
}
