import { expect } from "chai";
import { Wallet } from "ethers";
import { signBallot } from "../../api/src/jury/ballot";
import { deriveBallotKey, sealChoice } from "../../api/src/jury/ballotKeys";
import { ballotSetRoot, encodeBallotSet, envelopeHash, type StoredBallot } from "../../api/src/jury/ballotSet";
import { BallotSetRejected, recountBallotSet, type CaseFacts } from "../../api/src/jury/recount";

const COURT = `0x${"ab".repeat(20)}`;
const KEYS = [1, 2, 3].map((n) => deriveBallotKey(`0x${String(n).repeat(64)}`, COURT, 1n, 1));
const DEADLINE = 1_000;

async function ballot(wallet: Wallet, poolIndex: number, choice: number, receivedAt = DEADLINE): Promise<StoredBallot> {
  const juror = wallet.address.toLowerCase();
  const envelope = sealChoice(
    choice,
    KEYS.map((k) => k.publicKey),
    2,
    {
      chainId: 31337n,
      juryCourt: COURT,
      claimId: 1n,
      round: 1,
      juror,
    },
  );
  const signature = await signBallot(wallet, 31337n, COURT, {
    claimId: 1n,
    round: 1,
    juror,
    sequence: 1,
    envelopeHash: envelopeHash(envelope),
  });
  return { juror, poolIndex, sequence: 1, receivedAt, signature, envelope };
}

describe("recount", () => {
  const wallets = Array.from({ length: 5 }, () => Wallet.createRandom() as unknown as Wallet);
  const facts: CaseFacts = {
    chainId: "31337",
    juryCourt: COURT,
    claimId: "1",
    round: 1,
    deadline: DEADLINE,
    keyCount: 3,
    roster: wallets.slice(0, 4).map((w, i) => [w.address.toLowerCase(), i]),
    revealed: [1, 2].map((i) => ({
      index: i + 1,
      secretKey: `0x${KEYS[i].secretKey.toString("hex")}`,
      publicKey: `0x${KEYS[i].publicKey.toString("hex")}`,
    })),
  };
  const header = { claimId: "1", round: 1, keyCount: 3 };
  const recount = (ballots: StoredBallot[], manifest = encodeBallotSet(header, ballots)) =>
    recountBallotSet(manifest, facts, { root: ballotSetRoot(ballots), count: ballots.length });

  describe("recountBallotSet", () => {
    it("counts valid ballots and lists a non-roster signer, a wrong seat, a late and a forged ballot as invalid", async () => {
      const good = [await ballot(wallets[0], 0, 1), await ballot(wallets[1], 1, 0)];
      const outsider = await ballot(wallets[4], 2, 1); // not drawn, claims seat 2
      const wrongSeat = await ballot(wallets[2], 3, 1); // drawn at 2, claims 3
      const late = await ballot(wallets[3], 3, 1, DEADLINE + 1);
      const result = await recount([...good, outsider, wrongSeat, late]);
      expect([result.upholdVotes, result.overturnVotes]).to.deep.equal([1, 1]);
      expect(result.invalid.map((i) => i.reason).sort()).to.deep.equal([
        "not on the roster at that pool index",
        "not on the roster at that pool index",
        "received after the deadline",
      ]);
      const forged = { ...(await ballot(wallets[2], 2, 1)), signature: good[0].signature };
      expect((await recount([forged])).invalid[0].reason).to.equal("not signed by the juror");
    });

    it("refuses a manifest that is not the sealed set: a juror twice, a changed record, another case", async () => {
      const a = await ballot(wallets[0], 0, 1);
      const twice = [a, a];
      await recount(twice).then(
        () => expect.fail("a juror twice was counted"),
        (error) => expect(error).to.be.instanceOf(BallotSetRejected),
      );
      const ballots = [a, await ballot(wallets[1], 1, 0)];
      const manifest = encodeBallotSet(header, ballots);
      manifest[manifest.length - 1] ^= 1; // one envelope byte changed in transit or by the gateway
      await recount(ballots, manifest).then(
        () => expect.fail("a changed manifest was counted"),
        (error) => expect(error).to.be.instanceOf(BallotSetRejected),
      );
      await recount(ballots, encodeBallotSet({ ...header, round: 2 }, ballots)).then(
        () => expect.fail("another round's manifest was counted"),
        (error) => expect(error).to.be.instanceOf(BallotSetRejected),
      );
    });
  });
});
