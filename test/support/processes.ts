import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

export const ROOT = resolve(__dirname, "../..");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnInRoot(command: string, args: string[], env: Record<string, string>) {
  return spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs a command to completion in the project root. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawnInRoot(command, args, env);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${command} ${args.join(" ")} timed out:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The aidproof CLI, as `npx aidproof` runs it. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return run(process.execPath, [resolve(ROOT, "bin/aidproof.js"), ...args], env);
}

/** Starts a long-running process and resolves once `ready` matches its output. */
export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 180_000,
): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((done, fail) => {
    const child = spawnInRoot(command, args, env);
    let output = "";
    const timer = setTimeout(() => fail(new Error(`not ready in time:\n${output}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        done({ child, output: () => output });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code} before ready:\n${output}`));
    });
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((done) => child.once("exit", (code) => done(code)));
}

/** Whether a JSON-RPC node answers on `url` (a chain node left running, or not). */
export async function rpcAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}',
      signal: AbortSignal.timeout(2_000),
    });
    return true;
  } catch {
    return false;
  }
}
