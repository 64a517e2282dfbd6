import { expect } from "chai";
import { PrivateKey } from "eciesjs";
import {
  decryptEnvelope,
  encryptEnvelope,
  EnvelopeAuthenticationError,
  EnvelopeFormatError,
  EnvelopeNotRecipientError,
  parseEnvelopeHeader,
} from "../../api/src/crypto/envelope";
import { collect, deterministicBytes } from "../support/bytes";

function keyPair() {
  const secret = new PrivateKey();
  return { privateKey: Buffer.from(secret.secret), publicKey: Buffer.from(secret.publicKey.toBytes(true)) };
}

const plaintext = deterministicBytes(100_000, "diagnosis-report");

async function fixture() {
  const recipients = [keyPair(), keyPair(), keyPair()];
  const envelope = await collect(
    encryptEnvelope(
      plaintext,
      recipients.map((r) => r.publicKey),
    ),
  );
  return { recipients, envelope, header: parseEnvelopeHeader(envelope) };
}

function flipped(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] ^= 0x01;
  return copy;
}

describe("envelope", () => {
  describe("encryptEnvelope / decryptEnvelope", () => {
    it("lets every recipient decrypt", async () => {
      const { recipients, envelope } = await fixture();
      for (const r of recipients) expect(decryptEnvelope(envelope, r.privateKey).equals(plaintext)).to.equal(true);
    });

    it("never contains the plaintext and uses a fresh key and nonce each time", async () => {
      const { recipients, envelope, header } = await fixture();
      expect(envelope.includes(plaintext.subarray(0, 64))).to.equal(false);
      const again = await collect(
        encryptEnvelope(
          plaintext,
          recipients.map((r) => r.publicKey),
        ),
      );
      expect(parseEnvelopeHeader(again).nonce).to.not.deep.equal(header.nonce);
      expect(again.subarray(-1000).equals(envelope.subarray(-1000))).to.equal(false);
    });

    it("streams: chunked plaintext gives an envelope every recipient opens", async () => {
      const r = keyPair();
      async function* chunks() {
        for (let i = 0; i < plaintext.length; i += 4096) yield plaintext.subarray(i, i + 4096);
      }
      const envelope = await collect(encryptEnvelope(chunks(), [r.publicKey]));
      expect(decryptEnvelope(envelope, r.privateKey).equals(plaintext)).to.equal(true);
    });

    it("refuses a non-recipient", async () => {
      const { envelope } = await fixture();
      expect(() => decryptEnvelope(envelope, keyPair().privateKey)).to.throw(EnvelopeNotRecipientError);
    });

    it("fails authentication on a flipped bit in the ciphertext, tag, nonce or wrapped key", async () => {
      const { recipients, envelope, header } = await fixture();
      const firstWrapped = 4 + 2 + 12 + 2 + 33 + 2;
      const cases: [string, number][] = [
        ["ciphertext", header.length + 10],
        ["tag", envelope.length - 1],
        ["nonce", 6],
        ["wrapped key", firstWrapped + 40],
      ];
      for (const [part, index] of cases) {
        expect(() => decryptEnvelope(flipped(envelope, index), recipients[0].privateKey), part).to.throw(
          EnvelopeAuthenticationError,
        );
      }
    });

    it("binds the header: another recipient's changed wrapped key fails the content check", async () => {
      const { recipients, envelope, header } = await fixture();
      const entry = 33 + 2; // public key and wrapped-key length before each wrapped key
      const secondWrapped = 20 + entry + header.recipients[0].wrappedKey.length + entry + 5;
      expect(() => decryptEnvelope(flipped(envelope, secondWrapped), recipients[0].privateKey)).to.throw(
        EnvelopeAuthenticationError,
      );
    });
  });

  describe("parseEnvelopeHeader", () => {
    it("parses the recipients and their keys", async () => {
      const { recipients, header } = await fixture();
      expect(header.version).to.equal(1);
      expect(header.recipients.map((r) => r.publicKey)).to.deep.equal(
        recipients.map((r) => r.publicKey.toString("hex")),
      );
    });

    it("rejects unknown versions and suites, bad magic and truncation", async () => {
      const { envelope, header } = await fixture();
      const withByte = (index: number, value: number) => {
        const copy = Buffer.from(envelope);
        copy[index] = value;
        return copy;
      };
      expect(() => parseEnvelopeHeader(withByte(4, 2))).to.throw(EnvelopeFormatError, /unknown version 2/);
      expect(() => parseEnvelopeHeader(withByte(5, 9))).to.throw(EnvelopeFormatError, /unknown suite 9/);
      expect(() => parseEnvelopeHeader(withByte(0, 0x58))).to.throw(EnvelopeFormatError, /bad magic/);
      expect(() => parseEnvelopeHeader(envelope.subarray(0, header.length - 3))).to.throw(EnvelopeFormatError);
      expect(() => parseEnvelopeHeader(Buffer.alloc(5))).to.throw(EnvelopeFormatError, /too short/);
    });
  });
});
