import { AbiCoder, keccak256 } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

const coder = AbiCoder.defaultAbiCoder();

/**
 * The roster rule of IJuryCourt: for i = 0, 1, ... take keccak256(abi.encode(seed, i)) mod poolSize,
 * skipping indexes drawn already, until rosterSize distinct pool indexes are drawn.
 */
export function drawRosterIndexes(seed: string, poolSize: number, rosterSize: number): number[] {
  if (!Number.isInteger(rosterSize) || rosterSize < 1 || rosterSize > poolSize) {
    throw new RangeError(`roster size ${rosterSize} must be within 1..${poolSize}`);
  }
  const drawn = new Set<number>();
  const order: number[] = [];
  for (let i = 0n; order.length < rosterSize; ++i) {
    const index = Number(BigInt(keccak256(coder.encode(["bytes32", "uint256"], [seed, i]))) % BigInt(poolSize));
    if (!drawn.has(index)) {
      drawn.add(index);
      order.push(index);
    }
  }
  return order;
}

/** Juror pool tree: leaves (uint32 index, address juror) in pool order. */
export function buildPoolTree(pool: string[]): StandardMerkleTree<[number, string]> {
  return StandardMerkleTree.of(
    pool.map((juror, i): [number, string] => [i, juror]),
    ["uint32", "address"],
  );
}

/** Roster tree: leaves (address juror) in draw order. */
export function buildRosterTree(roster: string[]): StandardMerkleTree<[string]> {
  return StandardMerkleTree.of(
    roster.map((juror): [string] => [juror]),
    ["address"],
  );
}

/** The jurors drawn from `pool` with `seed`, in draw order. */
export function drawRoster(seed: string, pool: string[], rosterSize: number): string[] {
  return drawRosterIndexes(seed, pool.length, rosterSize).map((i) => pool[i]);
}
