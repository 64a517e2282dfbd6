import { expect } from "chai";
import fc from "fast-check";
import { Signature, TypedDataEncoder, Wallet, verifyTypedData } from "ethers";
import { EvidenceSignatureVerifier } from "../../api/src/chain/signatures";
import { EVIDENCE_TYPES, evidenceDomain } from "../../api/src/chain/typedData";

const registry = `0x${"11".repeat(20)}`;
const domain = evidenceDomain(31337n, registry);
const verifier = new EvidenceSignatureVerifier(31337n, registry);
const message = { claimId: 7n, contentHash: `0x${"22".repeat(32)}`, kind: 1, nonce: 9n, deadline: 2n ** 40n };

describe("signatures", () => {
  describe("EvidenceSignatureVerifier.digest", () => {
    it("equals ethers' EIP-712 hash for any message and domain", () => {
      const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
      fc.assert(
        fc.property(
          fc.record({
            claimId: uint256,
            contentHash: fc
              .uint8Array({ minLength: 32, maxLength: 32 })
              .map((b) => `0x${Buffer.from(b).toString("hex")}`),
            kind: fc.integer({ min: 0, max: 255 }),
            nonce: uint256,
            deadline: uint256,
          }),
          fc.bigInt({ min: 1n, max: 2n ** 64n }),
          fc.uint8Array({ minLength: 20, maxLength: 20 }),
          (m, chainId, address) => {
            const contract = `0x${Buffer.from(address).toString("hex")}`;
            const expected = TypedDataEncoder.hash(evidenceDomain(chainId, contract), EVIDENCE_TYPES, m);
            const digest = new EvidenceSignatureVerifier(chainId, contract).digest(m);
            expect(`0x${digest.toString("hex")}`).to.equal(expected);
          },
        ),
        { numRuns: 200 },
      );
    });

    it("rejects values that are not what the types say", () => {
      expect(() => verifier.digest({ ...message, contentHash: "0x1234" })).to.throw(RangeError);
      expect(() => verifier.digest({ ...message, kind: 256 })).to.throw(RangeError);
      expect(() => verifier.digest({ ...message, nonce: -1n })).to.throw(RangeError);
      expect(() => verifier.digest({ ...message, claimId: 2n ** 256n })).to.throw(RangeError);
    });
  });

  describe("EvidenceSignatureVerifier.recover", () => {
    it("recovers the same signer as ethers' verifyTypedData", async () => {
      for (let i = 0; i < 10; ++i) {
        const wallet = Wallet.createRandom();
        const m = { ...message, nonce: BigInt(i) };
        const signature = await wallet.signTypedData(domain, EVIDENCE_TYPES, m);
        expect(verifier.recover(m, signature))
          .to.equal(wallet.address.toLowerCase())
          .and.to.equal(verifyTypedData(domain, EVIDENCE_TYPES, m, signature).toLowerCase());
      }
    });

    it("gives another address for a changed field or domain", async () => {
      const wallet = Wallet.createRandom();
      const signature = await wallet.signTypedData(domain, EVIDENCE_TYPES, message);
      const signer = wallet.address.toLowerCase();
      expect(verifier.recover({ ...message, nonce: 10n }, signature)).to.not.equal(signer);
      expect(new EvidenceSignatureVerifier(1n, registry).recover(message, signature)).to.not.equal(signer);
      expect(new EvidenceSignatureVerifier(31337n, `0x${"12".repeat(20)}`).recover(message, signature)).to.not.equal(
        signer,
      );
    });

    it("rejects malformed and high-s (malleated) signatures", async () => {
      const wallet = Wallet.createRandom();
      const signature = Signature.from(await wallet.signTypedData(domain, EVIDENCE_TYPES, message));
      expect(() => verifier.recover(message, "0x1234")).to.throw();
      const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
      const highS = `0x${(n - BigInt(signature.s)).toString(16).padStart(64, "0")}`;
      const malleated = `${signature.r}${highS.slice(2)}${signature.v === 27 ? "1c" : "1b"}`;
      expect(() => verifier.recover(message, malleated)).to.throw(RangeError, "high s");
    });

    it("takes v as 27/28 or 0/1 and rejects any other v and the 64-byte compact form", async () => {
      const wallet = Wallet.createRandom();
      const signature = Signature.from(await wallet.signTypedData(domain, EVIDENCE_TYPES, message));
      const rs = `${signature.r}${signature.s.slice(2)}`;
      const signer = wallet.address.toLowerCase();
      expect(verifier.recover(message, `${rs}${signature.yParity === 0 ? "00" : "01"}`)).to.equal(signer);
      expect(() => verifier.recover(message, `${rs}1d`)).to.throw(RangeError, "invalid signature v");
      expect(() => verifier.recover(message, signature.compactSerialized)).to.throw(RangeError);
    });
  });
});
