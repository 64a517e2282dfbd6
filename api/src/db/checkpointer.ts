import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const databases = new Map();
const checkpoint = (path, db) => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ path, error: String(error) });
  }
};
const timer = setInterval(() => databases.forEach((db, path) => checkpoint(path, db)), workerData.intervalMs);
parentPort.on("message", ({ add, remove }) => {
  if (add) {
    const db = new Database(add);
    db.pragma("busy_timeout = 1000");
    databases.set(add, db);
  }
  if (remove) {
    const db = databases.get(remove);
    databases.delete(remove);
    checkpoint(remove, db);
    db.close();
    parentPort.postMessage({ removed: remove });
  }
  if (databases.size === 0) {
    clearInterval(timer);
    parentPort.close();
  }
});
`;

const STOP_TIMEOUT_MS = 10_000;
const INTERVAL_MS = 250;

/** The process's worker, and the databases it checkpoints with where to report their failures. */
let shared: { worker: Worker; paths: Map<string, (message: string) => void>; exited: Promise<void> } | undefined;

/**
 * Checkpoints WAL databases from one worker thread per process, every 250 ms: copying WAL pages into
 * the database file and the fsyncs that go with it then never run on the event loop (SQLite's
 * automatic checkpoints run in whichever connection commits, and cost a quarter of a 10 KB insert,
 * measured). One worker for all databases: each thread is its own V8 heap. The connection that
 * writes must set wal_autocheckpoint=0. Stop it before closing that connection.
 */
export class Checkpointer {
  private constructor(private readonly _path: string) {}

  static start(path: string, onError: (message: string) => void): Checkpointer {
    if (!shared) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { intervalMs: INTERVAL_MS, driver: require.resolve("better-sqlite3") },
      });
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      const current = { worker, paths: new Map<string, (message: string) => void>(), exited };
      worker.on("message", (message: { path?: string; error?: string }) => {
        if (message.error) current.paths.get(message.path!)?.(message.error);
      });
      worker.on("error", (error) => current.paths.forEach((report) => report(String(error))));
      // After the listeners: adding a "message" listener refs the worker's port again, and a process
      // with a store left open would then never exit on its own.
      worker.unref();
      void exited.then(() => {
        if (shared === current) shared = undefined;
      });
      shared = current;
    }
    shared.paths.set(path, onError);
    shared.worker.postMessage({ add: path });
    return new Checkpointer(path);
  }

  /** Runs a last checkpoint of this database and closes the worker's connection to it. */
  async stop(): Promise<void> {
    const current = shared;
    if (!current?.paths.delete(this._path)) return;
    const { worker } = current;
    if (current.paths.size === 0 && shared === current) shared = undefined; // the next start gets a new worker
    const removed = new Promise<void>((resolve) => {
      const onMessage = (message: { removed?: string }) => {
        if (message.removed !== this._path) return;
        worker.off("message", onMessage);
        resolve();
      };
      worker.on("message", onMessage);
    });
    worker.ref(); // keep the process alive until the last checkpoint is done
    worker.postMessage({ remove: this._path });
    const timeout = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await Promise.race([removed, current.exited]);
    clearTimeout(timeout);
    if (current.paths.size > 0) worker.unref();
    else await current.exited;
  }
}
