import { expect } from "chai";
import { run } from "../support/processes";

/**
 * Each benchmark, in its small mode, as `npm run` starts it: it must print its figures and exit on
 * its own (bench:store once printed its table and then never exited). Figures are not asserted.
 */
describe("benchmarks (small runs)", function () {
  this.timeout(300_000);

  const benches: [string, Record<string, string>, RegExp][] = [
    ["bench:store", { LARGE_MB: "2", SMALL_FILES: "50", KUBO_SMALL_FILES: "10", REPEATS: "1" }, /embedded put 10 KB/],
    ["bench:gas", { MAX_BATCH: "10" }, /gas\/item/],
    ["bench:ingest", { ITEMS: "200", BASELINE_ITEMS: "20", CLIENTS: "4" }, /items\/s/],
  ];
  for (const [script, env, figures] of benches) {
    it(`npm run ${script} prints its figures and exits by itself`, async () => {
      const { code, stdout, stderr } = await run("npm", ["run", script], env, 240_000);
      expect(code, stdout + stderr).to.equal(0);
      expect(stdout).to.match(figures);
    });
  }
});
