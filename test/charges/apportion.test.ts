import { expect } from "chai";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { BulkKeccak } from "../../api/src/charges/hasher";
import { amountOf, apportion, tieKey, tieKeyPrefixes, type Bill } from "../../api/src/charges/apportion";

/** `n` random member hashes, and everything apportion needs about them for `period`. */
function members(keccak: BulkKeccak, period: bigint, n: number) {
  const hashes = randomBytes(32 * n);
  const prefixes = new Float64Array(n);
  tieKeyPrefixes(keccak, period, hashes, prefixes, 0);
  const fullKey = (i: number) => tieKey(keccak, period, hashes.subarray(32 * i, 32 * (i + 1)));
  return { hashes, prefixes, fullKey };
}

describe("apportion", () => {
  let keccak: BulkKeccak;
  before(async () => {
    keccak = await BulkKeccak.create();
  });

  describe("apportion", () => {
    it("sums exactly to the bill, shares differ by at most one unit, for any total and member count", () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: 0n, max: 2n ** 96n }),
          fc.integer({ min: 1, max: 300 }),
          fc.bigInt({ min: 0n, max: 1000n }),
          (total, n, period) => {
            const { prefixes, fullKey } = members(keccak, period, n);
            const a = apportion({ period, total }, prefixes, fullKey);
            const shares = Array.from({ length: n }, (_, i) => amountOf(a, i));
            expect(shares.reduce((s, x) => s + x, 0n)).to.equal(total);
            const [min, max] = [shares.reduce((m, x) => (x < m ? x : m)), shares.reduce((m, x) => (x > m ? x : m))];
            expect(max - min <= 1n).to.equal(true);
            expect(a.carry).to.equal(0n);
          },
        ),
        { numRuns: 150 },
      );
    });

    it("gives the extra units to the members first in keccak256(period, member) order", () => {
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 200 }), fc.bigInt({ min: 0n, max: 10n ** 6n }), (n, period) => {
          const { prefixes, fullKey } = members(keccak, period, n);
          const total = BigInt(n) * 7n + BigInt(n - 1); // n - 1 extra units
          const a = apportion({ period, total }, prefixes, fullKey);
          const order = Array.from({ length: n }, (_, i) => i).sort((x, y) =>
            Buffer.compare(Buffer.from(fullKey(x)), Buffer.from(fullKey(y))),
          );
          expect(order.slice(0, n - 1).every((i) => a.extra[i] === 1)).to.equal(true);
          expect(a.extra[order[n - 1]]).to.equal(0);
        }),
        { numRuns: 60 },
      );
    });

    it("respects the cap and carries what it leaves uncharged into the next bill", () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: 0n, max: 10n ** 9n }),
          fc.integer({ min: 1, max: 100 }),
          fc.bigInt({ min: 1n, max: 10n ** 4n }),
          (total, n, cap) => {
            const { prefixes, fullKey } = members(keccak, 1n, n);
            const a = apportion({ period: 1n, total, cap }, prefixes, fullKey);
            const shares = Array.from({ length: n }, (_, i) => amountOf(a, i));
            expect(shares.every((x) => x <= cap)).to.equal(true);
            expect(shares.reduce((s, x) => s + x, 0n)).to.equal(a.charged);
            expect(a.charged + a.carry).to.equal(total);
            expect(a.carry > 0n).to.equal(total > cap * BigInt(n));
          },
        ),
        { numRuns: 150 },
      );
    });

    it("carries the whole bill when nobody is eligible, and refuses a negative one", () => {
      const none: Bill = { period: 3n, total: 12_345n };
      const a = apportion(none, new Float64Array(0), () => new Uint8Array(32));
      expect([a.charged, a.carry]).to.deep.equal([0n, 12_345n]);
      expect(() => apportion({ period: 3n, total: -1n }, new Float64Array(1), () => new Uint8Array(32))).to.throw(
        RangeError,
      );
    });

    it("changes who pays the extra unit from one period to the next", () => {
      const hashes = randomBytes(32 * 1000);
      const extras = [1n, 2n].map((period) => {
        const prefixes = new Float64Array(1000);
        tieKeyPrefixes(keccak, period, hashes, prefixes, 0);
        return apportion({ period, total: 1_500n }, prefixes, (i) =>
          tieKey(keccak, period, hashes.subarray(32 * i, 32 * i + 32)),
        ).extra;
      });
      expect(Buffer.compare(Buffer.from(extras[0]), Buffer.from(extras[1]))).not.to.equal(0);
    });
  });
});
