import type { Provider } from "ethers";
import {
  AnnouncementRegistry__factory,
  ChargeRegistry__factory,
  ClaimRegistry__factory,
  EvidenceRegistry__factory,
  JuryCourt__factory,
  MembershipRegistry__factory,
} from "../../../typechain-types";
import type { ConsortiumDescriptor } from "./descriptor";

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Whether `provider` serves the pinned deployment: the same chain (id and genesis block), and
 * registries that answer to the pinned Consortium, as the chain says (never as a bundle or a gateway
 * says). A look-alike deployment on the same chain fails the last check.
 */
export async function checkPin(provider: Provider, descriptor: ConsortiumDescriptor): Promise<Check[]> {
  const { contracts } = descriptor;
  const governed = async (read: () => Promise<string>) => {
    try {
      return same(await read(), contracts.consortium);
    } catch {
      return false; // no such contract there, or not one of ours
    }
  };
  const [network, genesis, evidence, claims, jury, announcements, membership, charges] = await Promise.all([
    provider.getNetwork(),
    provider.getBlock(0),
    governed(() => EvidenceRegistry__factory.connect(contracts.evidenceRegistry, provider).consortium()),
    governed(() => ClaimRegistry__factory.connect(contracts.claimRegistry, provider).consortium()),
    governed(() => JuryCourt__factory.connect(contracts.juryCourt, provider).consortium()),
    governed(() => AnnouncementRegistry__factory.connect(contracts.announcementRegistry, provider).consortium()),
    governed(() => MembershipRegistry__factory.connect(contracts.membershipRegistry, provider).consortium()),
    governed(() => ChargeRegistry__factory.connect(contracts.chargeRegistry, provider).consortium()),
  ]);
  return [
    {
      name: "RPC endpoint serves the pinned chain",
      ok: network.chainId.toString() === descriptor.chainId,
      detail: `chain ${network.chainId}`,
    },
    {
      name: "the chain's genesis block is the pinned one",
      ok: genesis?.hash === descriptor.genesisHash,
      detail: genesis?.hash ?? "none",
    },
    {
      name: "the pinned Consortium governs the registries",
      ok: evidence && claims && jury && announcements && membership && charges,
    },
  ];
}

/** The checks' failures as one message, or undefined when all hold. */
export function pinFailure(checks: Check[]): string | undefined {
  const failed = checks.filter((c) => !c.ok);
  return failed.length ? failed.map((c) => `${c.name}: no (${c.detail ?? "not so on chain"})`).join("; ") : undefined;
}
