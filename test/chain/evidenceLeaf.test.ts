import { expect } from "chai";
import fc from "fast-check";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, hexlify } from "ethers";
import {
  EVIDENCE_LEAF_ENCODING,
  evidenceLeafHash,
  evidenceLeafValues,
  type EvidenceLeaf,
} from "../../api/src/chain/evidenceLeaf";

const leafArbitrary = fc.record({
  claimId: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  claimant: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b))),
  contentHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b)),
  kind: fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>,
  cid: fc.string({ maxLength: 130, unit: "grapheme" }),
});

describe("evidenceLeaf", () => {
  describe("evidenceLeafHash", () => {
    it("equals StandardMerkleTree's leaf hash for any leaf (CIDs of any length, unicode included)", () => {
      fc.assert(
        fc.property(leafArbitrary, (leaf: EvidenceLeaf) => {
          const values = evidenceLeafValues(leaf);
          const standard = StandardMerkleTree.of([values], [...EVIDENCE_LEAF_ENCODING]).leafHash(values);
          expect(evidenceLeafHash(leaf)).to.equal(standard);
        }),
        { numRuns: 300 },
      );
    });

    it("rejects values outside their ABI types", () => {
      const leaf: EvidenceLeaf = {
        claimId: 1n,
        claimant: getAddress(`0x${"11".repeat(20)}`),
        contentHash: `0x${"22".repeat(32)}`,
        kind: 0,
        cid: "x",
      };
      expect(() => evidenceLeafHash({ ...leaf, claimId: 2n ** 256n })).to.throw(RangeError);
      expect(() => evidenceLeafHash({ ...leaf, claimId: -1n })).to.throw(RangeError);
      expect(() => evidenceLeafHash({ ...leaf, contentHash: "0x1234" })).to.throw(RangeError);
      expect(() => evidenceLeafHash({ ...leaf, kind: 256 as 0 })).to.throw(RangeError);
      expect(() => evidenceLeafHash({ ...leaf, claimant: "0x12" })).to.throw();
    });
  });
});
