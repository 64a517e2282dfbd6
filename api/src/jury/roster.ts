import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { z } from "zod";
import { keccak256, uintWord } from "../chain/encoding";
import type { JurySignatures } from "./ballot";

/** One pool entry: a registered voting key with the platform's credential for it. */
export interface PoolEntry {
  voter: string;
  memberHash: string;
  qualifiedAt: number;
  /** The platform's (a GATEWAY holder's) EIP-712 JurorCredential signature. */
  credential: string;
}

const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`));

/** The pool manifest in IPFS: entries sorted by voter address, each [voter, memberHash, qualifiedAt, credential]. */
export const poolManifestSchema = z.object({
  version: z.literal(1),
  entries: z.array(z.tuple([hex(20), hex(32), z.number().int().nonnegative(), hex(65)])),
});
export type PoolManifest = z.infer<typeof poolManifestSchema>;

export const POOL_LEAF_ENCODING = ["uint32", "address", "bytes32", "uint48"];
type PoolLeaf = [number, string, string, number];

export function poolManifest(entries: PoolEntry[]): PoolManifest {
  const sorted = [...entries].sort((a, b) => (a.voter.toLowerCase() < b.voter.toLowerCase() ? -1 : 1));
  return {
    version: 1,
    entries: sorted.map((e) => [e.voter.toLowerCase(), e.memberHash, e.qualifiedAt, e.credential]),
  };
}

/** Pool tree: leaves (uint32 index, address voter, bytes32 memberHash, uint48 qualifiedAt) in manifest order. */
export function buildPoolTree(manifest: PoolManifest): StandardMerkleTree<PoolLeaf> {
  return StandardMerkleTree.of(
    manifest.entries.map(([voter, memberHash, qualifiedAt], i): PoolLeaf => [i, voter, memberHash, qualifiedAt]),
    POOL_LEAF_ENCODING,
  );
}

/**
 * What a validator checks before confirming a pool: the anchored root and size, no voter and no
 * member twice (one seat per member), sorted order, every credential signed by an account that holds
 * GATEWAY (`isIssuer`). Returns the problems; none means the pool is sound.
 */
export async function checkPool(
  manifest: PoolManifest,
  anchored: { root: string; size: number },
  signatures: JurySignatures,
  isIssuer: (address: string) => Promise<boolean>,
): Promise<string[]> {
  const issuers = new Map<string, Promise<boolean>>();
  const issuedByPlatform = (address: string) => {
    let known = issuers.get(address);
    if (!known) issuers.set(address, (known = isIssuer(address)));
    return known;
  };
  const problems: string[] = [];
  const voters = new Set<string>();
  const members = new Set<string>();
  let previous = "";
  for (const [i, [voter, memberHash, qualifiedAt, credential]] of manifest.entries.entries()) {
    const v = voter.toLowerCase();
    if (voters.has(v)) problems.push(`entry ${i}: voter ${voter} listed twice`);
    if (members.has(memberHash.toLowerCase())) problems.push(`entry ${i}: member ${memberHash} listed twice`);
    if (v < previous) problems.push(`entry ${i}: not in voter order`);
    voters.add(v);
    members.add(memberHash.toLowerCase());
    previous = v;
    let issuer: string | undefined;
    try {
      issuer = signatures.credentialSigner({ voter, memberHash, qualifiedAt }, credential);
    } catch {
      issuer = undefined;
    }
    if (!issuer || !(await issuedByPlatform(issuer)))
      problems.push(`entry ${i}: credential not signed by the platform`);
  }
  if (manifest.entries.length !== anchored.size)
    problems.push(`pool has ${manifest.entries.length} entries, ${anchored.size} anchored`);
  if (problems.length === 0 && buildPoolTree(manifest).root !== anchored.root) problems.push("root differs");
  return problems;
}

const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * The draw rule of IJuryCourt: pool entry `index` is on the roster iff
 * keccak256(abi.encode(seed, index)) < (2^256 - 1) / poolSize * rosterSize, and its credential
 * predates the case by the qualification time.
 */
export class Sortition {
  private readonly _seed: Buffer;
  private readonly _bound: bigint;

  constructor(
    seed: string,
    poolSize: number,
    rosterSize: number,
    private readonly _qualifiedBy: number,
  ) {
    this._seed = Buffer.from(seed.slice(2), "hex");
    this._bound = (MAX_UINT256 / BigInt(poolSize)) * BigInt(rosterSize);
  }

  drawn(index: number): boolean {
    const hash = keccak256(Buffer.concat([this._seed, uintWord(index, "index")]));
    return BigInt(`0x${hash.toString("hex")}`) < this._bound;
  }

  onRoster(index: number, qualifiedAt: number): boolean {
    return qualifiedAt <= this._qualifiedBy && this.drawn(index);
  }
}

/** The roster: voter address (lowercase) to pool index, for every entry drawn and qualified. */
export function drawRoster(manifest: PoolManifest, sortition: Sortition): Map<string, number> {
  const roster = new Map<string, number>();
  manifest.entries.forEach(([voter, , qualifiedAt], i) => {
    if (sortition.onRoster(i, qualifiedAt)) roster.set(voter.toLowerCase(), i);
  });
  return roster;
}
