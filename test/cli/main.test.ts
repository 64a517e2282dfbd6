import { expect } from "chai";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestStack, type TestStack } from "../support/stack";
import { cli } from "../support/processes";

describe("aidproof CLI (spawned, against the real stack)", function () {
  this.timeout(180_000);
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    stack = await startTestStack();
    dir = await mkdtemp(join(tmpdir(), "aidproof-cli-"));
    env = {
      AIDPROOF_GATEWAY_URL: stack.gateway.url,
      AIDPROOF_CLIENT_RPC_URL: stack.rpcUrl,
      AIDPROOF_CONSORTIUM: stack.config.descriptorFile,
    };
  });
  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe("--help", () => {
    it("lists the commands and exits 0", async () => {
      const { code, stdout } = await cli(["--help"]);
      expect(code).to.equal(0);
      for (const command of ["keygen", "claim", "evidence", "receipt", "verify"]) expect(stdout).to.include(command);
    });

    it("exits 2 on a usage error", async () => {
      const { code, stderr } = await cli(["claim", "create", "--plan", "1"]);
      expect(code).to.equal(2);
      expect(stderr).to.include("--amount");
    });

    it("exits 2 when signing without a pinned consortium descriptor", async () => {
      const key = join(dir, "unpinned.key");
      await cli(["keygen", "--out", key]);
      const args = ["--key-file", key, "claim", "create", "--plan", "1", "--amount", "1", "--metadata-cid", "x"];
      const { code, stderr } = await cli(args, { ...env, AIDPROOF_CONSORTIUM: join(dir, "none.json") });
      expect(code).to.equal(2);
      expect(stderr).to.include("no consortium descriptor");
    });
  });

  describe("claimant flow", () => {
    it("keygen, claim create, evidence submit, receipt --wait --out, verify", async () => {
      const key = join(dir, "claimant.key");
      expect((await cli(["keygen", "--out", key])).code).to.equal(0);
      expect((await cli(["keygen", "--out", key])).code).to.equal(2); // refuses to overwrite

      const created = await cli(
        [
          "--key-file",
          key,
          "--json",
          "claim",
          "create",
          "--plan",
          "1",
          "--amount",
          "300000",
          "--metadata-cid",
          "bafkreicli",
        ],
        env,
      );
      expect(created.code, created.stderr).to.equal(0);
      const { claimId } = JSON.parse(created.stdout);

      const file = join(dir, "report.txt");
      await writeFile(file, "diagnosis report (confidential)\n".repeat(100));
      const submitted = await cli(["--key-file", key, "--json", "evidence", "submit", claimId, file], env);
      expect(submitted.code, submitted.stderr).to.equal(0);
      const [{ receiptId, kind }] = JSON.parse(submitted.stdout);
      expect(kind).to.equal("private");

      const bundle = join(dir, "bundle.json");
      const receipt = await cli(["--json", "receipt", receiptId, "--wait", "confirmed", "--out", bundle], env);
      expect(receipt.code, receipt.stderr).to.equal(0);
      expect(JSON.parse(receipt.stdout).status).to.equal("confirmed");

      const verified = await cli(["verify", bundle], env);
      expect(verified.code, verified.stdout).to.equal(0);
      expect(verified.stdout).to.include("VERIFIED");

      // The file given to --file must be what was uploaded: the private file's envelope, not the plaintext.
      const wrongFile = await cli(["verify", bundle, "--file", file], env);
      expect(wrongFile.code).to.equal(1);
      expect(wrongFile.stdout).to.include("FAIL file SHA-256");

      // The file fetched by CID from a trustless gateway (here the gateway's own /ipfs), checked block by block.
      const fetched = await cli(["verify", bundle, "--fetch-from", stack.gateway.url], env);
      expect(fetched.code, fetched.stdout).to.equal(0);
      expect(fetched.stdout).to.include("ok   file CID (unixfs-v1-2025) is the leaf's CID");
      const unpinned = await cli(["verify", bundle, "--unpinned", "--rpc", stack.rpcUrl], {
        AIDPROOF_CONSORTIUM: join(dir, "none.json"),
      });
      expect(unpinned.code).to.equal(0);
      expect(unpinned.stdout).to.match(/^UNPINNED: /);
      expect(unpinned.stdout).to.include("UNPINNED VERIFIED");
      const noPin = await cli(["verify", bundle], { AIDPROOF_CONSORTIUM: join(dir, "none.json") });
      expect(noPin.code).to.equal(2);
      expect(noPin.stderr).to.include("no consortium descriptor");

      const tampered = JSON.parse(await readFile(bundle, "utf8"));
      tampered.leaf.cid = `${tampered.leaf.cid}x`;
      await writeFile(join(dir, "tampered.json"), JSON.stringify(tampered));
      const bad = await cli(["--json", "verify", join(dir, "tampered.json")], env);
      expect(bad.code).to.equal(1);
      expect(JSON.parse(bad.stdout).ok).to.equal(false);
    });

    it("exits 2 without a key, 1 on a rejected request, 3 when the gateway or RPC is unreachable", async () => {
      expect(
        (await cli(["claim", "create", "--plan", "1", "--amount", "1", "--metadata-cid", "x"], env)).code,
      ).to.equal(2);
      const key = join(dir, "other.key");
      await cli(["keygen", "--out", key]);
      const unknownClaim = await cli(
        ["--key-file", key, "evidence", "submit", "999999", join(__dirname, "main.test.ts"), "--public"],
        env,
      );
      expect(unknownClaim.code).to.equal(1);
      expect(unknownClaim.stderr).to.include("CLAIM_NOT_FOUND");
      const offline = await cli(["receipt", "00000000-0000-4000-8000-000000000000"], {
        AIDPROOF_GATEWAY_URL: "http://127.0.0.1:9",
      });
      expect(offline.code).to.equal(3);
      await writeFile(join(dir, "any.json"), JSON.stringify({ version: 1 }));
      expect((await cli(["verify", join(dir, "any.json")], env)).code).to.equal(1); // malformed bundle
    });
  });
});
