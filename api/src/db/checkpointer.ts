import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

const STOP_TIMEOUT_MS = 10_000;

/**
 * Checkpoints a WAL database from a worker thread, every `intervalMs`: copying WAL pages into the
 * database file and the fsyncs that go with it then never run on the event loop (SQLite's automatic
 * checkpoints run in whichever connection commits, and cost a quarter of a 10 KB insert, measured).
 * The connection that writes must set wal_autocheckpoint=0. Stop it before closing that connection.
 */
export class Checkpointer {
  private _exited = false;

  private constructor(private readonly _worker: Worker) {
    _worker.once("exit", () => (this._exited = true));
  }

  static start(path: string, onError: (message: string) => void, intervalMs = 250): Checkpointer {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, intervalMs, driver: require.resolve("better-sqlite3") },
    });
    worker.on("message", (message: { error: string }) => onError(message.error));
    worker.on("error", (error) => onError(String(error)));
    worker.unref();
    return new Checkpointer(worker);
  }

  /** Runs a last checkpoint and closes the worker's connection. */
  async stop(): Promise<void> {
    if (this._exited) return;
    const exited = new Promise<void>((resolve) => this._worker.once("exit", () => resolve()));
    this._worker.ref(); // keep the process alive until the last checkpoint is done
    this._worker.postMessage("stop");
    const timeout = setTimeout(() => void this._worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timeout);
  }
}
