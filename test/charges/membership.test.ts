import { expect } from "chai";
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
/** The eligible set as a list of the test's member numbers. */
const numbers = (set: Buffer) => Array.from({ length: set.length / 32 }, (_, i) => set[32 * i]);

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
          { recordedAt: 100, changes: [join(9), join(2), join(5)] },
          { recordedAt: 950, changes: [join(7)] }, // joined 50 s before the close: still waiting
        ],
        CLOSE,
        100,
      );
      expect(numbers(set)).to.deep.equal([2, 5, 9]);
    });

    it("drops a member who left before the close, and keeps one who leaves after it", () => {
      const set = deriveEligibleSet(
        [
          { recordedAt: 100, changes: [join(1), join(2)] },
          { recordedAt: 500, changes: [leave(1)] },
          { recordedAt: CLOSE, changes: [leave(2)] }, // recorded at the close: after it
        ],
        CLOSE,
        0,
      );
      expect(numbers(set)).to.deep.equal([2]);
    });

    it("restarts the wait on a join after a leave, and ignores a repeated join or a stray leave", () => {
      const set = deriveEligibleSet(
        [
          { recordedAt: 100, changes: [join(1), join(2), leave(3)] },
          { recordedAt: 800, changes: [leave(1), join(1), join(2)] },
        ],
        CLOSE,
        300,
      );
      expect(numbers(set)).to.deep.equal([2]); // 1 rejoined at 800 and waits until 1,100
    });
  });
});
