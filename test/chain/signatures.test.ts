import { expect } from "chai";
import { Signature, Wallet, verifyTypedData } from "ethers";
import { recoverTypedDataSigner } from "../../api/src/chain/signatures";
import { EVIDENCE_TYPES, evidenceDomain } from "../../api/src/chain/typedData";

const domain = evidenceDomain(31337n, `0x${"11".repeat(20)}`);
const message = { claimId: 7n, contentHash: `0x${"22".repeat(32)}`, kind: 1, nonce: 9n, deadline: 2n ** 40n };

describe("signatures", () => {
  describe("recoverTypedDataSigner", () => {
    it("recovers the same signer as ethers' verifyTypedData", async () => {
      for (let i = 0; i < 10; ++i) {
        const wallet = Wallet.createRandom();
        const m = { ...message, nonce: BigInt(i) };
        const signature = await wallet.signTypedData(domain, EVIDENCE_TYPES, m);
        expect(recoverTypedDataSigner(domain, EVIDENCE_TYPES, m, signature))
          .to.equal(wallet.address)
          .and.to.equal(verifyTypedData(domain, EVIDENCE_TYPES, m, signature));
      }
    });

    it("gives another address for a changed field or domain", async () => {
      const wallet = Wallet.createRandom();
      const signature = await wallet.signTypedData(domain, EVIDENCE_TYPES, message);
      expect(recoverTypedDataSigner(domain, EVIDENCE_TYPES, { ...message, nonce: 10n }, signature)).to.not.equal(
        wallet.address,
      );
      expect(recoverTypedDataSigner({ ...domain, chainId: 1n }, EVIDENCE_TYPES, message, signature)).to.not.equal(
        wallet.address,
      );
    });

    it("rejects malformed and high-s (malleated) signatures", async () => {
      const wallet = Wallet.createRandom();
      const signature = Signature.from(await wallet.signTypedData(domain, EVIDENCE_TYPES, message));
      expect(() => recoverTypedDataSigner(domain, EVIDENCE_TYPES, message, "0x1234")).to.throw();
      const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
      const highS = `0x${(n - BigInt(signature.s)).toString(16).padStart(64, "0")}`;
      const malleated = `${signature.r}${highS.slice(2)}${signature.v === 27 ? "1c" : "1b"}`;
      expect(() => recoverTypedDataSigner(domain, EVIDENCE_TYPES, message, malleated)).to.throw();
    });
  });
});
