/**
 * bench:jury's juror simulator, on a worker thread: deterministic juror keys, their addresses, and
 * sealed, signed ballots (what each juror's own machine would do).
 */
import { parentPort, workerData } from "node:worker_threads";
import { ecdsaSign, publicKeyCreate } from "secp256k1";
import { keccak256 } from "../../api/src/chain/encoding";
import { JurySignatures } from "../../api/src/jury/ballot";
import { sealChoice, sealingKeys } from "../../api/src/jury/ballotKeys";
import { envelopeHash, type StoredBallot } from "../../api/src/jury/ballotSet";

export interface BallotJob {
  task: "ballots";
  chainId: string;
  juryCourt: string;
  claimId: string;
  round: number;
  keyThreshold: number;
  ballotKeys: string[];
  receivedAt: number;
  /** [juror key index, pool index] */
  jurors: [number, number][];
}

export interface AddressJob {
  task: "addresses";
  from: number;
  to: number;
}

export function jurorKey(i: number): Buffer {
  return keccak256(Buffer.from(`aidproof-bench-juror-${i}`));
}

export function jurorAddress(i: number): string {
  const publicKey = publicKeyCreate(jurorKey(i), false);
  return `0x${keccak256(publicKey.subarray(1)).subarray(-20).toString("hex")}`;
}

function ballots(job: BallotJob): StoredBallot[] {
  const signatures = new JurySignatures(BigInt(job.chainId), job.juryCourt);
  const keys = sealingKeys(job.ballotKeys.map((k) => Buffer.from(k.slice(2), "hex")));
  const claimId = BigInt(job.claimId);
  return job.jurors.map(([keyIndex, poolIndex], n) => {
    const juror = jurorAddress(keyIndex);
    const envelope = sealChoice(n % 5 < 2 ? 0 : 1, keys, job.keyThreshold, {
      chainId: BigInt(job.chainId),
      juryCourt: job.juryCourt,
      claimId,
      round: job.round,
      juror,
    });
    const digest = signatures.ballotDigest({
      claimId,
      round: job.round,
      juror,
      sequence: 1,
      envelopeHash: envelopeHash(envelope),
    });
    const { signature, recid } = ecdsaSign(digest, jurorKey(keyIndex));
    return {
      juror,
      poolIndex,
      sequence: 1,
      receivedAt: job.receivedAt,
      signature: `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}`,
      envelope,
    };
  });
}

if (parentPort && workerData) {
  const job = workerData as BallotJob | AddressJob;
  if (job.task === "addresses") {
    const out: string[] = [];
    for (let i = job.from; i < job.to; i++) out.push(jurorAddress(i));
    parentPort.postMessage(out);
  } else {
    parentPort.postMessage(ballots(job));
  }
}
