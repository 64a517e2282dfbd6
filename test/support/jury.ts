import { Wallet, id, type HDNodeWallet, type Signer } from "ethers";
import type { LocalStack } from "../../api/src/node/localStack";
import { JurorClient } from "../../api/src/jury/jurorClient";
import { chainPin } from "./evidence";
import { signCredential, type JurorCredential } from "../../api/src/jury/ballot";
import { poolManifest, type PoolEntry, type PoolManifest } from "../../api/src/jury/roster";
import type { JuryRules } from "../../api/src/jury/rules";

/** Small jury rules for tests: a pool of 8 or more, 5 jurors in expectation, 2 valid votes. */
export const TEST_JURY_RULES: JuryRules = {
  qualificationSeconds: 0,
  votingSeconds: 3600,
  stallSeconds: 3600,
  minPoolSize: 8,
  rosterSize: 5,
  minValidVotes: 2,
  majorityBps: 5_000,
};

export interface TestJuror {
  wallet: Wallet | HDNodeWallet;
  entry: PoolEntry;
}

/** `count` jurors with fresh voting keys and credentials signed by `platform` (a GATEWAY holder). */
export async function makeJurors(
  platform: Signer,
  chainId: bigint,
  juryCourt: string,
  count: number,
  qualifiedAt = 1,
): Promise<TestJuror[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const wallet = Wallet.createRandom();
      const credential: JurorCredential = {
        voter: wallet.address.toLowerCase(),
        memberHash: id(`member-${i}-${wallet.address}`),
        qualifiedAt,
      };
      const signature = await signCredential(platform, chainId, juryCourt, credential);
      return { wallet, entry: { ...credential, credential: signature } };
    }),
  );
}

export function manifestOf(jurors: TestJuror[]): PoolManifest {
  return poolManifest(jurors.map((j) => j.entry));
}

/** The juror's pool leaf fields, as `isJuror` takes them. */
export function poolLeaf(manifest: PoolManifest, voter: string): [number, string, string, number] {
  const index = manifest.entries.findIndex(([v]) => v === voter.toLowerCase());
  const [, memberHash, qualifiedAt] = manifest.entries[index];
  return [index, voter.toLowerCase(), memberHash, qualifiedAt];
}

/** `count` jurors registered through the stack's gateway, with credentials signed by its (platform) key. */
export async function registerJurors(stack: LocalStack, count: number): Promise<JurorClient[]> {
  const platform = new Wallet(stack.keys!.gateway);
  const jurors = await makeJurors(
    platform,
    BigInt(stack.descriptor.chainId),
    stack.descriptor.contracts.juryCourt,
    count,
  );
  return Promise.all(
    jurors.map(async ({ wallet, entry }) => {
      const client = new JurorClient(stack.gateway.url, wallet, chainPin(stack));
      await client.register(entry);
      return client;
    }),
  );
}

/** Polls `read` until `done` holds of its value. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until)
      throw new Error(
        `timed out waiting; last value ${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
