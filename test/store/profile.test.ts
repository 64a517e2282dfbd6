import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEvidenceStore } from "../../api/src/store/openStore";
import type { EvidenceStore } from "../../api/src/store/evidenceStore";
import { CID_PROFILE } from "../../api/src/store/profile";
import { deterministicBytes } from "../support/bytes";
import { startJsIpfs, type JsIpfsDaemon } from "../../scripts/support/jsIpfsDaemon";

const MiB = 1024 * 1024;
const SIZES = [0, 1, MiB, MiB + 1, 5_000_000, 50_000_000];

/** The CID of `bytes` per @ipld/unixfs, an independent UnixFS writer, set to the same profile. */
async function independentCid(chunks: Iterable<Uint8Array>): Promise<string> {
  const UnixFS = await import("@ipld/unixfs");
  const { withMaxChunkSize } = await import("@ipld/unixfs/file/chunker/fixed");
  const { withWidth } = await import("@ipld/unixfs/file/layout/balanced");
  const raw = await import("multiformats/codecs/raw");
  const { readable, writable } = new TransformStream({}, UnixFS.withCapacity(256 * MiB) as QueuingStrategy<unknown>);
  const drained = readable.pipeTo(new WritableStream()); // the blocks themselves are not needed
  const writer = UnixFS.createWriter({
    writable: writable as never,
    settings: UnixFS.configure({
      fileChunkEncoder: raw,
      smallFileEncoder: raw,
      chunker: withMaxChunkSize(CID_PROFILE.chunkSize),
      fileLayout: withWidth(CID_PROFILE.maxChildrenPerNode),
    }),
  });
  const file = UnixFS.createFileWriter(writer);
  for (const chunk of chunks) await file.write(chunk);
  const { cid } = await file.close();
  await writer.close();
  await drained;
  return cid.toString();
}

describe("CID profile (unixfs-v1-2025)", function () {
  this.timeout(15 * 60_000);
  let daemon: JsIpfsDaemon;
  let dirs: string[];
  let embedded: EvidenceStore;
  let kubo: EvidenceStore;
  before(async () => {
    daemon = await startJsIpfs();
    dirs = [await mkdtemp(join(tmpdir(), "aidproof-profile-")), await mkdtemp(join(tmpdir(), "aidproof-profile-"))];
    embedded = await openEvidenceStore({ backend: "embedded", dataDir: dirs[0], maxBytes: 256 * MiB });
    kubo = await openEvidenceStore({ backend: "kubo", kuboUrl: daemon.rpcUrl, dataDir: dirs[1], maxBytes: 256 * MiB });
  });
  after(async () => {
    await daemon?.stop();
    for (const dir of dirs ?? []) await rm(dir, { recursive: true, force: true });
  });

  for (const size of SIZES) {
    it(`gives ${size} bytes the independent implementation's CID on both backends`, async () => {
      const bytes = deterministicBytes(size, `profile-${size}`);
      const expected = await independentCid([bytes]);
      expect((await embedded.put(bytes)).cid).to.equal(expected);
      expect((await kubo.put(bytes)).cid).to.equal(expected);
      expect(expected.startsWith(size <= MiB ? "bafkrei" : "bafybei")).to.equal(true); // raw leaf vs dag-pb root
    });
  }

  it("links up to 1024 chunks per node: a 180 MiB file, past the 174-link default, matches too", async () => {
    // Distinct, cheap chunks: a counter in the first bytes of each MiB.
    const chunks = function* () {
      for (let i = 0; i < 180; ++i) {
        const chunk = Buffer.alloc(MiB);
        chunk.writeUInt32BE(i);
        yield chunk;
      }
    };
    const expected = await independentCid(chunks());
    expect((await embedded.put(chunks())).cid).to.equal(expected);
    expect((await kubo.put(chunks())).cid).to.equal(expected);
  });
});
