import { rm } from "node:fs/promises";
import { join } from "node:path";
import { EvidenceStore } from "./evidenceStore";
import { FsBackend } from "./fsBackend";
import { KuboBackend } from "./kuboBackend";

export type StoreConfig =
  | { backend: "embedded"; dataDir: string; maxBytes: number }
  | { backend: "kubo"; kuboUrl: string; dataDir: string; maxBytes: number; timeoutMs?: number };

/**
 * Opens the configured store. Staging lives under the data directory in both cases; what a crashed
 * process left there was never committed, so it is removed.
 */
export async function openEvidenceStore(config: StoreConfig): Promise<EvidenceStore> {
  const stagingDir = join(config.dataDir, "ipfs-staging");
  await rm(stagingDir, { recursive: true, force: true });
  const backend =
    config.backend === "embedded"
      ? await FsBackend.open(join(config.dataDir, "ipfs"))
      : new KuboBackend(config.kuboUrl, { timeoutMs: config.timeoutMs ?? 5_000 });
  return EvidenceStore.create(backend, { stagingDir, maxBytes: config.maxBytes });
}
