import { Wallet, id, type HDNodeWallet, type Signer } from "ethers";
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
