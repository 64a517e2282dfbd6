/** For benchmarks: the whole stack as a child process (`scripts/start.ts`), and requests to it over node:http. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";

const ROOT = resolve(__dirname, "../..");

/** The stack's own output, kept to explain a crash. */
let stackOutput = "";

/** Starts `npm start`'s stack with `env`; resolves once it is serving. */
export function startStackProcess(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((ready, fail) => {
    const nodeArgs = process.env.GATEWAY_NODE_ARGS?.split(" ").filter(Boolean) ?? []; // e.g. --cpu-prof
    const child = spawn(process.execPath, [...nodeArgs, require.resolve("ts-node/dist/bin.js"), "scripts/start.ts"], {
      cwd: ROOT,
      env: { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    stackOutput = "";
    child.stdout!.on("data", (d: Buffer) => (stackOutput = (stackOutput + d.toString()).slice(-20_000)));
    child.stderr!.on("data", (d: Buffer) => {
      stackOutput = (stackOutput + d.toString()).slice(-20_000);
      if (stackOutput.includes("npm run demo")) ready(child);
    });
    child.once("exit", (code, signal) => {
      stackOutput += `\n[stack exited: code ${code}, signal ${signal}]`;
      fail(new Error(`the stack exited with ${code ?? signal}: ${stackOutput}`));
    });
  });
}

/** The tail of the stack's output, to explain a failure. */
export function stackOutputTail(chars = 3000): string {
  return stackOutput.slice(-chars);
}

/** Stops the stack process and waits for it to exit. */
export async function stopStackProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** CPU seconds (user + system) the process used so far, all its threads. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * One request over a kept-alive connection. node:http rather than fetch: undici's fetch cost the load
 * generator about 0.7 ms of CPU per request, on the same two cores as the gateway.
 */
export function send(
  agent: Agent,
  url: string,
  method: string,
  body?: { bytes: Buffer; contentType: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      agent,
      headers: body ? { "content-type": body.contentType, "content-length": body.bytes.length } : {},
    });
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("error", reject);
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.end(body?.bytes);
  });
}
