import { JsonRpcProvider, type BaseWallet } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Consortium__factory } from "../../../typechain-types";
import { DomainError } from "../errors";
import { ROLES } from "../chain/roles";
import { gatewayJson, GatewayError, type ChainPin } from "../sdk/client";
import { JurySignatures, signBallot, type JurorCredential } from "./ballot";
import { sealChoice } from "./ballotKeys";
import { BALLOT_LEAF_ENCODING, envelopeHash } from "./ballotSet";
import { ballotsSealed, juryCourtAt, readJuryCase, type JuryCaseView } from "./caseReader";
import type { BallotReceipt } from "./juryService";

export const CHOICES = { uphold: 0, overturn: 1 } as const;
export type ChoiceName = keyof typeof CHOICES;

export interface BallotProof {
  leaf: [string, number, string];
  proof: string[];
  root: string;
  ballotsCid: string;
  round: number;
}

/** What a juror learns from its ballot's proof, checked against the chain. */
export interface ProofCheck {
  /** The proof verifies against the ballots root sealed on chain. */
  included: boolean;
  /** With a receipt: the sealed ballot is the receipted one or a later one of the juror's own. */
  honoured?: boolean;
  problem?: string;
}

/**
 * A juror's client. It reads the case, its ballot keys and the sealed root from the chain (the
 * RPC endpoint and descriptor it pins), never from the gateway: a gateway that swapped in keys of
 * its own could read the choice. The choice is sealed and signed on this machine; the gateway's
 * receipt is checked (signed by a GATEWAY holder, for exactly this ballot) before it is returned.
 */
export class JurorClient {
  private readonly _provider: JsonRpcProvider;
  private readonly _signatures: JurySignatures;

  constructor(
    private readonly _gatewayUrl: string,
    private readonly _wallet: BaseWallet,
    private readonly _pin: ChainPin,
  ) {
    this._provider = new JsonRpcProvider(_pin.rpcUrl, undefined, { batchMaxCount: 1, staticNetwork: true });
    this._signatures = new JurySignatures(BigInt(_pin.descriptor.chainId), _pin.descriptor.contracts.juryCourt);
  }

  get address(): string {
    return this._wallet.address.toLowerCase();
  }

  destroy(): void {
    this._provider.destroy();
  }

  /** Registers this voting key with the platform's credential for it. */
  register(credential: JurorCredential & { credential: string }): Promise<unknown> {
    return gatewayJson(this._gatewayUrl, "POST", "/jury/jurors", { ...credential, voter: this.address });
  }

  async case(claimId: bigint): Promise<JuryCaseView> {
    const view = await readJuryCase(juryCourtAt(this._pin.descriptor.contracts.juryCourt, this._provider), claimId);
    if (!view) throw new DomainError("JURY_CASE_NOT_FOUND", `claim ${claimId} has no jury case`);
    return view;
  }

  /** Seals `choice` to the case's ballot keys on chain, signs it and submits it; checks the receipt. */
  async vote(claimId: bigint, choice: ChoiceName, sequence = 1): Promise<BallotReceipt> {
    const view = await this.case(claimId);
    if (view.status !== "Voting")
      throw new DomainError("VOTING_NOT_OPEN", `claim ${claimId}'s jury is ${view.status}, not voting`);
    const ballot = await this.sealBallot(view, choice, sequence);
    const receipt = await gatewayJson<BallotReceipt>(
      this._gatewayUrl,
      "POST",
      `/jury/cases/${claimId}/ballots`,
      ballot,
    );
    if (
      receipt.claimId !== claimId.toString() ||
      receipt.round !== view.round ||
      receipt.juror !== this.address ||
      receipt.sequence !== sequence ||
      receipt.envelopeHash !== envelopeHash(Buffer.from(ballot.envelope.slice(2), "hex"))
    )
      throw new DomainError("GATEWAY_BAD_RESPONSE", "the receipt is not for this ballot");
    await this.verifyReceipt(receipt);
    return receipt;
  }

  /** The signed ballot body for `view`'s case and round: `choice` sealed to its ballot keys. */
  async sealBallot(
    view: JuryCaseView,
    choice: ChoiceName,
    sequence: number,
  ): Promise<{ round: number; juror: string; sequence: number; envelope: string; signature: string }> {
    const chainId = BigInt(this._pin.descriptor.chainId);
    const juryCourt = this._pin.descriptor.contracts.juryCourt;
    const keys = view.ballotKeys.slice(0, view.keyCount).map((k) => Buffer.from(k.publicKey.slice(2), "hex"));
    const claimId = BigInt(view.claimId);
    const envelope = sealChoice(CHOICES[choice], keys, view.keyThreshold, {
      chainId,
      juryCourt,
      claimId,
      round: view.round,
      juror: this.address,
    });
    const message = { claimId, round: view.round, juror: this.address, sequence, envelopeHash: envelopeHash(envelope) };
    const signature = await signBallot(this._wallet, chainId, juryCourt, message);
    return { round: view.round, juror: this.address, sequence, envelope: `0x${envelope.toString("hex")}`, signature };
  }

  /** Throws unless `receipt` is signed by an account that holds GATEWAY on chain. */
  async verifyReceipt(receipt: BallotReceipt): Promise<void> {
    let signer: string;
    try {
      signer = this._signatures.receiptSigner({ ...receipt, claimId: BigInt(receipt.claimId) }, receipt.signature);
    } catch {
      throw new DomainError("INVALID_RECEIPT", "the receipt's signature is malformed");
    }
    const consortium = Consortium__factory.connect(this._pin.descriptor.contracts.consortium, this._provider);
    if (signer !== receipt.gateway.toLowerCase() || !(await consortium.hasRole(ROLES.GATEWAY, signer)))
      throw new DomainError(
        "INVALID_RECEIPT",
        `the receipt is signed by ${signer}, not by a gateway of the consortium`,
      );
  }

  /**
   * The juror's ballot in the sealed set, checked against the root on chain; with `receipt`, whether
   * the gateway honoured it. A receipted ballot missing from the sealed set is a dropped ballot.
   */
  async checkProof(claimId: bigint, receipt?: BallotReceipt): Promise<ProofCheck & { proof?: BallotProof }> {
    const view = await this.case(claimId);
    if (!ballotsSealed(view))
      throw new DomainError("BALLOTS_NOT_SEALED", `claim ${claimId}'s ballots are not sealed yet`);
    let proof: BallotProof;
    try {
      proof = await gatewayJson<BallotProof>(
        this._gatewayUrl,
        "GET",
        `/jury/cases/${claimId}/ballots/${this.address}/proof`,
      );
    } catch (error) {
      if (!(error instanceof GatewayError && error.code === "BALLOT_NOT_FOUND")) throw error;
      const dropped = receipt && receipt.round === view.round && receipt.receivedAt <= view.votingClosesAt;
      return {
        included: false,
        ...(receipt ? { honoured: !dropped } : {}),
        problem: dropped ? "DROPPED: the gateway signed a receipt for a ballot the sealed set leaves out" : undefined,
      };
    }
    const included =
      proof.leaf[0] === this.address &&
      proof.root === view.ballotsRoot &&
      StandardMerkleTree.verify(view.ballotsRoot, BALLOT_LEAF_ENCODING, proof.leaf, proof.proof);
    if (!included) return { included, proof, problem: "the proof does not verify against the sealed root on chain" };
    if (!receipt || receipt.round !== view.round) return { included, proof };
    const [, sequence, hash] = proof.leaf;
    const honoured = sequence > receipt.sequence || (sequence === receipt.sequence && hash === receipt.envelopeHash);
    return {
      included,
      honoured,
      proof,
      problem: honoured ? undefined : "DROPPED: the sealed ballot is older than the one the gateway receipted",
    };
  }
}
