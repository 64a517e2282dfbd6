import { parentPort, workerData } from "node:worker_threads";
import { countBallots, type CaseFacts } from "./recount";
import type { StoredBallot } from "./ballotSet";

const { ballots, facts } = workerData as { ballots: StoredBallot[]; facts: CaseFacts };
// Buffers arrive as Uint8Arrays from the structured clone.
const restored = ballots.map((b) => ({ ...b, envelope: Buffer.from(b.envelope) }));
parentPort!.postMessage(countBallots(restored, facts));
