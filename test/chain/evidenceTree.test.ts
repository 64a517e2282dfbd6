import { expect } from "chai";
import fc from "fast-check";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { hexlify } from "ethers";
import { EvidenceTree } from "../../api/src/chain/evidenceTree";

const leafHashes = (max: number) =>
  fc.uniqueArray(
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b)),
    { minLength: 1, maxLength: max },
  );

describe("EvidenceTree", () => {
  describe("of", () => {
    it("has OpenZeppelin's root, leaf hashes and proofs for any leaves, in the order given", () => {
      fc.assert(
        fc.property(leafHashes(70), (hashes) => {
          const ours = EvidenceTree.of(hashes);
          const theirs = SimpleMerkleTree.of(hashes);
          expect(ours.root).to.equal(theirs.root);
          expect(ours.length).to.equal(hashes.length);
          hashes.forEach((hash, i) => {
            expect(ours.leafHash(i)).to.equal(hash);
            expect(ours.getProof(i)).to.deep.equal(theirs.getProof(i));
            expect(SimpleMerkleTree.verify(ours.root, hash, ours.getProof(i))).to.equal(true);
          });
        }),
        { numRuns: 150 },
      );
    });

    it("rejects no leaves and leaves that are not 32-byte hashes", () => {
      expect(() => EvidenceTree.of([])).to.throw(RangeError);
      expect(() => EvidenceTree.of(["0x1234"])).to.throw(RangeError);
      expect(() => EvidenceTree.of([`0x${"zz".repeat(32)}`])).to.throw(RangeError);
    });
  });

  describe("getProof", () => {
    it("refuses an index that is not a leaf", () => {
      const tree = EvidenceTree.of([`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`]);
      expect(() => tree.getProof(2)).to.throw(RangeError);
      expect(() => tree.getProof(-1)).to.throw(RangeError);
      expect(() => tree.leafHash(2)).to.throw(RangeError);
    });
  });
});
