import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { SigningKey, Wallet } from "ethers";
import { z } from "zod";

const key = z.string().regex(/^0x[0-9a-fA-F]{64}$/);

const keysSchema = z.object({
  deployer: key,
  gateway: key,
  members: z.array(z.object({ name: z.string(), validatorKey: key, encryptionKey: key })).min(1),
});

/** The local consortium's keys: generated into the data directory on first start, then reused. */
export type LocalKeys = z.infer<typeof keysSchema>;

export const LOCAL_MEMBERS = ["Platform Co", "Mutual Insurance Assoc", "City Hospital Association"];

export function encryptionPublicKey(privateKey: string): string {
  return new SigningKey(privateKey).compressedPublicKey;
}

export function loadOrCreateKeys(dataDir: string): { keys: LocalKeys; created: boolean } {
  const path = join(dataDir, "keys.json");
  if (existsSync(path)) {
    const parsed = keysSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (!parsed.success) throw new Error(`${path} is not a valid key file: ${parsed.error.message}`);
    return { keys: parsed.data, created: false };
  }
  const fresh = () => Wallet.createRandom().privateKey;
  const keys: LocalKeys = {
    deployer: fresh(),
    gateway: fresh(),
    members: LOCAL_MEMBERS.map((name) => ({ name, validatorKey: fresh(), encryptionKey: fresh() })),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(keys, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return { keys, created: true };
}
