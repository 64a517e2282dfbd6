import { expect } from "chai";
import { Wallet, id } from "ethers";
import { JurySignatures, signCredential } from "../../api/src/jury/ballot";
import { buildPoolTree, checkPool, poolManifest, type PoolManifest } from "../../api/src/jury/roster";
import { makeJurors } from "../support/jury";

const CHAIN = 31337n;
const COURT = `0x${"ab".repeat(20)}`;
const signatures = new JurySignatures(CHAIN, COURT);

describe("roster", () => {
  describe("checkPool", () => {
    let platform: Wallet;
    let manifest: PoolManifest;
    const isPlatform = async (address: string) => address === platform.address.toLowerCase();
    const check = (m: PoolManifest, size = m.entries.length) =>
      checkPool(m, { root: buildPoolTree(m).root, size }, signatures, isPlatform);

    before(async () => {
      platform = Wallet.createRandom() as unknown as Wallet;
      manifest = poolManifest((await makeJurors(platform, CHAIN, COURT, 6)).map((j) => j.entry));
    });

    it("accepts a sound pool", async () => {
      expect(await check(manifest)).to.deep.equal([]);
    });

    it("refuses an address listed twice (three seats for one voter)", async () => {
      const twice = { ...manifest, entries: [manifest.entries[0], manifest.entries[0], ...manifest.entries.slice(1)] };
      expect((await check(twice)).join()).to.match(/listed twice/);
    });

    it("refuses one member under two voting keys", async () => {
      const [a, b] = manifest.entries;
      const credential = { voter: b[0], memberHash: a[1], qualifiedAt: b[2] };
      const sameMember = poolManifest([
        { voter: a[0], memberHash: a[1], qualifiedAt: a[2], credential: a[3] },
        { ...credential, credential: await signCredential(platform, CHAIN, COURT, credential) },
      ]);
      expect((await check(sameMember)).join()).to.match(/member .* listed twice/);
    });

    it("refuses a credential not signed by the platform, a wrong size and a wrong root", async () => {
      const forged = poolManifest(
        (await makeJurors(Wallet.createRandom(), CHAIN, COURT, 1))
          .map((j) => j.entry)
          .concat(
            manifest.entries.map(([voter, memberHash, qualifiedAt, credential]) => ({
              voter,
              memberHash,
              qualifiedAt,
              credential,
            })),
          ),
      );
      expect((await check(forged)).join()).to.match(/credential not signed by the platform/);
      expect((await check(manifest, 7)).join()).to.match(/6 entries, 7 anchored/);
      expect(await checkPool(manifest, { root: id("other"), size: 6 }, signatures, isPlatform)).to.deep.equal([
        "root differs",
      ]);
    });
  });
});
