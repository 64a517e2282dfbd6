/** Blocks per log query: RPC providers cap the range of eth_getLogs. */
const LOG_RANGE = 10_000;

/**
 * Runs a log query over [from, to] in bounded ranges (RPC providers cap them), in order. With `to`
 * "latest", the last range ends at the node's head as of that query: a head read first may be stale
 * (ethers answers repeated reads from a short cache).
 */
export async function inRanges<T>(
  from: number,
  to: number | "latest",
  query: (from: number, to: number | "latest") => Promise<T[]>,
  head?: number,
): Promise<T[]> {
  const last = to === "latest" ? (head ?? from) : to;
  const results: T[] = [];
  for (let start = from; start <= last; start += LOG_RANGE) {
    const end = start + LOG_RANGE - 1;
    results.push(...(await query(start, to === "latest" && end >= last ? "latest" : Math.min(last, end))));
  }
  return results;
}
