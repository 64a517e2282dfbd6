import { expect } from "chai";
import fc from "fast-check";
import { hexlify, randomBytes } from "ethers";
import {
  MembershipBatchError,
  decodeMembershipBatch,
  deriveEligibleSet,
  encodeMembershipBatch,
  type MembershipChange,
} from "../../api/src/charges/membership";

const member = (n: number) => hexlify(new Uint8Array(32).fill(n));
const join = (n: number): MembershipChange => ({ kind: "join", member: member(n) });
const leave = (n: number): MembershipChange => ({ kind: "leave", member: member(n) });
const batch = (recordedAt: number, changes: MembershipChange[]) => ({
  recordedAt,
  records: encodeMembershipBatch(changes),
});
/** The eligible set as a list of the test's member numbers. */
const numbers = (chunks: Iterable<Uint8Array>) => {
  const set = Buffer.concat([...chunks]);
  return Array.from({ length: set.length / 32 }, (_, i) => set[32 * i]);
};

/** The rule, written the obvious way (a map per member), to hold the packed-key derivation to. */
function reference(batches: { recordedAt: number; changes: MembershipChange[] }[], closesAt: number, wait: number) {
  const joinedAt = new Map<string, number>();
  for (const b of batches.filter((b) => b.recordedAt < closesAt))
    for (const c of b.changes)
      if (c.kind === "leave") joinedAt.delete(c.member);
      else if (!joinedAt.has(c.member)) joinedAt.set(c.member, b.recordedAt);
  return [...joinedAt]
    .filter(([, at]) => at + wait <= closesAt)
    .map(([m]) => m)
    .sort();
}

describe("membership", () => {
  describe("encodeMembershipBatch / decodeMembershipBatch", () => {
    it("round-trips joins and leaves in order", () => {
      const changes = [join(3), leave(1), { kind: "join" as const, member: hexlify(randomBytes(32)) }];
      expect(decodeMembershipBatch(encodeMembershipBatch(changes))).to.deep.equal(changes);
    });

    it("refuses a partial record, an unknown kind and an empty batch", () => {
      const bytes = encodeMembershipBatch([join(1)]);
      expect(() => decodeMembershipBatch(bytes.subarray(0, 32))).to.throw(MembershipBatchError, /33-byte records/);
      const unknown = Uint8Array.from(bytes);
      unknown[0] = 7;
      expect(() => decodeMembershipBatch(unknown)).to.throw(MembershipBatchError, /unknown kind 7/);
      expect(() => decodeMembershipBatch(new Uint8Array(0))).to.throw(MembershipBatchError);
    });
  });

  describe("deriveEligibleSet", () => {
    const CLOSE = 1_000;

    it("counts members at the close whose join is past the waiting period, ascending", () => {
      const set = deriveEligibleSet(
        [
          batch(100, [join(9), join(2), join(5)]),
          batch(950, [join(7)]), // joined 50 s before the close: still waiting
        ],
        CLOSE,
        100,
      );
      expect(numbers(set)).to.deep.equal([2, 5, 9]);
    });

    it("drops a member who left before the close, and keeps one who leaves after it", () => {
      const set = deriveEligibleSet(
        [
          batch(100, [join(1), join(2)]),
          batch(500, [leave(1)]),
          batch(CLOSE, [leave(2)]), // recorded at the close: after it
        ],
        CLOSE,
        0,
      );
      expect(numbers(set)).to.deep.equal([2]);
    });

    it("restarts the wait on a join after a leave, and ignores a repeated join or a stray leave", () => {
      const set = deriveEligibleSet(
        [batch(100, [join(1), join(2), leave(3)]), batch(800, [leave(1), join(1), join(2)])],
        CLOSE,
        300,
      );
      expect(numbers(set)).to.deep.equal([2]); // 1 rejoined at 800 and waits until 1,100
    });

    it("equals the rule applied member by member, for any sequence of changes (members sharing their top bytes too)", () => {
      // 12 members, the first 8 sharing their first five bytes: the packed keys collide and whole hashes decide.
      const pool = Array.from({ length: 12 }, (_, n) => {
        const bytes = new Uint8Array(32).fill(n < 8 ? 0xab : n);
        bytes[31] = n;
        return hexlify(bytes);
      });
      const change = fc.record({
        kind: fc.constantFrom("join" as const, "leave" as const),
        member: fc.constantFrom(...pool),
      });
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              gap: fc.integer({ min: 0, max: 400 }),
              changes: fc.array(change, { minLength: 1, maxLength: 8 }),
            }),
            {
              maxLength: 8,
            },
          ),
          fc.integer({ min: 0, max: 500 }),
          (steps, wait) => {
            let time = 0;
            const batches = steps.map((step) => ({ recordedAt: (time += step.gap), changes: step.changes }));
            const derived = Buffer.concat([
              ...deriveEligibleSet(
                batches.map((b) => batch(b.recordedAt, b.changes)),
                CLOSE,
                wait,
              ),
            ]);
            const expected = reference(batches, CLOSE, wait);
            expect(
              Array.from({ length: derived.length / 32 }, (_, i) => hexlify(derived.subarray(32 * i, 32 * i + 32))),
            ).to.deep.equal(expected);
          },
        ),
      );
    });
  });
});
