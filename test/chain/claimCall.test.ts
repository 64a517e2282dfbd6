import { expect } from "chai";
import fc from "fast-check";
import { getAddress, hexlify } from "ethers";
import { ClaimRegistry__factory } from "../../typechain-types";
import { decodeClaimResult, encodeClaimCall } from "../../api/src/chain/claimCall";

const registry = ClaimRegistry__factory.createInterface();
const uint = (bits: number) => fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n });
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));

describe("claimCall", () => {
  describe("encodeClaimCall", () => {
    it("equals ethers' encoding of claim(uint256)", () => {
      fc.assert(
        fc.property(uint(256), (claimId) => {
          expect(encodeClaimCall(claimId)).to.equal(registry.encodeFunctionData("claim", [claimId]));
        }),
      );
    });
  });

  describe("decodeClaimResult", () => {
    it("equals ethers' decoding of what claim(uint256) returns, for any claim", () => {
      fc.assert(
        fc.property(
          fc.record({
            claimant: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b))),
            planId: uint(64),
            state: fc.integer({ min: 0, max: 7 }),
            disputed: fc.boolean(),
            amountRequested: uint(128),
            amountApproved: uint(128),
            filedAt: uint(48),
            decidedAt: uint(48),
            evidenceRoot: bytes32,
            reasonHash: bytes32,
            paymentReference: bytes32,
            metadataCid: fc.string({ maxLength: 120, unit: "grapheme" }),
          }),
          (claim) => {
            const encoded = registry.encodeFunctionResult("claim", [claim]);
            expect(decodeClaimResult(encoded)).to.deep.equal({
              claimant: claim.claimant,
              planId: claim.planId.toString(),
              state: claim.state,
              amountRequested: claim.amountRequested.toString(),
              amountApproved: claim.amountApproved.toString(),
              metadataCid: claim.metadataCid,
              evidenceRoot: claim.evidenceRoot,
              reasonHash: claim.reasonHash,
              paymentReference: claim.paymentReference,
            });
          },
        ),
        { numRuns: 200 },
      );
    });

    it("rejects a truncated result", () => {
      const encoded = registry.encodeFunctionResult("claim", [
        [
          `0x${"11".repeat(20)}`,
          1n,
          1,
          false,
          1n,
          0n,
          1n,
          0n,
          `0x${"00".repeat(32)}`,
          `0x${"00".repeat(32)}`,
          `0x${"00".repeat(32)}`,
          "bafy",
        ],
      ]);
      expect(() => decodeClaimResult(encoded.slice(0, encoded.length - 64))).to.throw(RangeError);
      expect(() => decodeClaimResult(encoded.slice(0, 200))).to.throw(RangeError);
    });
  });
});
