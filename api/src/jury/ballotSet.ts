/**
 * The sealed ballot set of a case round: one ballot per juror (the latest sequence), sorted by juror
 * address, as a binary manifest in IPFS and a StandardMerkleTree of (address juror, uint32 sequence,
 * bytes32 envelopeHash) whose root the JuryCourt holds.
 *
 * Manifest: the line `AIDPROOF-BALLOTS/1`, a JSON line {claimId, round, keyCount, count}, then
 * `count` fixed-size records: juror (20) ‖ pool index (4) ‖ sequence (4) ‖ receivedAt, Unix seconds
 * (6) ‖ signature r ‖ s ‖ v (65) ‖ envelope (32 + 32 · keyCount + 17).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256 } from "../chain/encoding";
import { envelopeLength } from "./ballotKeys";

export interface StoredBallot {
  juror: string;
  poolIndex: number;
  sequence: number;
  /** Unix seconds the gateway received it (its signed receipt says the same). */
  receivedAt: number;
  signature: string;
  envelope: Buffer;
}

export interface BallotSetHeader {
  claimId: string;
  round: number;
  keyCount: number;
  count: number;
}

const MAGIC = "AIDPROOF-BALLOTS/1\n";
const FIXED = 20 + 4 + 4 + 6 + 65;
export const BALLOT_LEAF_ENCODING = ["address", "uint32", "bytes32"];

export function recordLength(keyCount: number): number {
  return FIXED + envelopeLength(keyCount);
}

export function envelopeHash(envelope: Buffer): string {
  return `0x${keccak256(envelope).toString("hex")}`;
}

export function ballotLeaf(b: StoredBallot): [string, number, string] {
  return [b.juror.toLowerCase(), b.sequence, envelopeHash(b.envelope)];
}

/** Sorts by juror; the set holds one ballot per juror. */
export function encodeBallotSet(header: Omit<BallotSetHeader, "count">, ballots: StoredBallot[]): Buffer {
  const sorted = [...ballots].sort((a, b) => (a.juror.toLowerCase() < b.juror.toLowerCase() ? -1 : 1));
  const size = recordLength(header.keyCount);
  const body = Buffer.alloc(sorted.length * size);
  sorted.forEach((b, i) => {
    const at = i * size;
    body.write(b.juror.slice(2), at, "hex");
    body.writeUInt32BE(b.poolIndex, at + 20);
    body.writeUInt32BE(b.sequence, at + 24);
    body.writeUIntBE(b.receivedAt, at + 28, 6);
    body.write(b.signature.slice(2), at + 34, "hex");
    b.envelope.copy(body, at + FIXED);
  });
  const head = Buffer.from(`${MAGIC}${JSON.stringify({ ...header, count: sorted.length })}\n`);
  return Buffer.concat([head, body]);
}

export class MalformedBallotSet extends Error {}

/** Parses a manifest; throws {@link MalformedBallotSet} when it is not one. */
export function decodeBallotSet(bytes: Buffer): { header: BallotSetHeader; ballots: StoredBallot[] } {
  if (bytes.subarray(0, MAGIC.length).toString() !== MAGIC) throw new MalformedBallotSet("not a ballot set");
  const end = bytes.indexOf(0x0a, MAGIC.length);
  let header: BallotSetHeader;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length, end).toString()) as BallotSetHeader;
  } catch {
    throw new MalformedBallotSet("unreadable header");
  }
  const { keyCount, count } = header;
  if (!Number.isInteger(keyCount) || keyCount < 1 || keyCount > 255 || !Number.isInteger(count) || count < 0)
    throw new MalformedBallotSet("bad header");
  const size = recordLength(keyCount);
  const body = bytes.subarray(end + 1);
  if (body.length !== count * size) throw new MalformedBallotSet(`${body.length} bytes of records, ${count} expected`);
  const ballots: StoredBallot[] = [];
  for (let at = 0; at < body.length; at += size) {
    ballots.push({
      juror: `0x${body.subarray(at, at + 20).toString("hex")}`,
      poolIndex: body.readUInt32BE(at + 20),
      sequence: body.readUInt32BE(at + 24),
      receivedAt: body.readUIntBE(at + 28, 6),
      signature: `0x${body.subarray(at + 34, at + FIXED).toString("hex")}`,
      envelope: Buffer.from(body.subarray(at + FIXED, at + size)),
    });
  }
  return { header, ballots };
}

export function buildBallotTree(ballots: StoredBallot[]): StandardMerkleTree<[string, number, string]> {
  return StandardMerkleTree.of(ballots.map(ballotLeaf), BALLOT_LEAF_ENCODING);
}

/** The root anchored for a set: its tree's root, or zero for no ballots. */
export function ballotSetRoot(ballots: StoredBallot[]): string {
  return ballots.length === 0 ? `0x${"00".repeat(32)}` : buildBallotTree(ballots).root;
}
