import { expect } from "chai";
import { deriveBallotKey, envelopeLength, openChoice, openingKeys, sealChoice } from "../../api/src/jury/ballotKeys";

const COURT = `0x${"11".repeat(20)}`;
const CONTEXT = { chainId: 31337n, juryCourt: COURT, claimId: 7n, round: 1, juror: `0x${"22".repeat(20)}` };
const KEYS = [1, 2, 3].map((n) => deriveBallotKey(`0x${String(n).repeat(64)}`, COURT, 7n, 1));
const opening = (indexes: number[]) =>
  openingKeys(
    indexes.map((i) => ({ index: i + 1, secretKey: KEYS[i].secretKey, publicKey: KEYS[i].publicKey })),
    KEYS.length,
  );

describe("ballotKeys", () => {
  describe("sealChoice / openChoice", () => {
    it("opens with any M of the N keys, never with fewer", () => {
      for (const choice of [0, 1]) {
        const envelope = sealChoice(
          choice,
          KEYS.map((k) => k.publicKey),
          2,
          CONTEXT,
        );
        expect(envelope.length).to.equal(envelopeLength(3));
        for (const pair of [
          [0, 1],
          [1, 2],
          [0, 2],
          [2, 0],
        ])
          expect(openChoice(envelope, opening(pair), CONTEXT)).to.equal(choice);
        expect(openChoice(envelope, opening([1]), CONTEXT)).to.equal(undefined);
      }
    });

    it("does not open for another juror, case or round, nor with a flipped byte", () => {
      const envelope = sealChoice(
        1,
        KEYS.map((k) => k.publicKey),
        2,
        CONTEXT,
      );
      const keys = opening([0, 1]);
      expect(openChoice(envelope, keys, { ...CONTEXT, juror: `0x${"33".repeat(20)}` })).to.equal(undefined);
      expect(openChoice(envelope, keys, { ...CONTEXT, claimId: 8n })).to.equal(undefined);
      expect(openChoice(envelope, keys, { ...CONTEXT, round: 2 })).to.equal(undefined);
      for (const at of [0, 40, envelope.length - 17, envelope.length - 1]) {
        const tampered = Buffer.from(envelope);
        tampered[at] ^= 1;
        expect(openChoice(tampered, keys, CONTEXT)).to.equal(undefined);
      }
      expect(openChoice(envelope.subarray(1), keys, CONTEXT)).to.equal(undefined);
    });
  });

  describe("deriveBallotKey", () => {
    it("is the same after a restart and unrelated across cases and rounds", () => {
      const again = deriveBallotKey(`0x${"1".repeat(64)}`, COURT, 7n, 1);
      expect(again.publicKey).to.deep.equal(KEYS[0].publicKey);
      expect(deriveBallotKey(`0x${"1".repeat(64)}`, COURT, 7n, 2).publicKey).to.not.deep.equal(KEYS[0].publicKey);
      expect(deriveBallotKey(`0x${"1".repeat(64)}`, COURT, 8n, 1).publicKey).to.not.deep.equal(KEYS[0].publicKey);
    });
  });
});
