import { expect } from "chai";
import { run } from "../support/processes";

/**
 * Each benchmark in its quick mode, as a child process: it must print its figures and then exit 0 on
 * its own (no open handle left behind), well within the generous bound. The figures are not checked.
 */
describe("benchmarks end on their own (quick modes)", function () {
  this.timeout(900_000);

  const cases: [string, Record<string, string>, RegExp][] = [
    ["bench:store", { SIZE_MB: "2", SMALL_FILES: "50", REPEATS: "1" }, /embedded put 10 KB \(files\/s\)\s+[\d,]+/],
    ["bench:gas", { BATCH_SIZES: "1,10", NAIVE_SAMPLES: "2" }, /At 10 items per batch: [\d,.]+ gas\/item/],
    ["bench:ingest", { ITEMS: "40", BASELINE_ITEMS: "10", CLIENTS: "4" }, /batched: \d+ items\/s/],
    ["bench:apportion", { MEMBERS: "20000", PROOFS: "50" }, /root, count and sum match/],
  ];
  for (const [script, env, figures] of cases) {
    it(`npm run ${script} prints its figures and exits 0`, async () => {
      const { code, stdout, stderr } = await run("npm", ["run", script], env, 600_000);
      expect(code, stderr).to.equal(0);
      expect(stdout).to.match(figures);
    });
  }
});
