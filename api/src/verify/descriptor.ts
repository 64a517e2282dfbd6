import { z } from "zod";
import { isAddress, type Provider } from "ethers";

const address = z.string().refine((v) => isAddress(v), "an address");

/**
 * A consortium descriptor: the small document that names one AidProof deployment (its chain, by id
 * and genesis block, and its contracts). A consortium publishes it; clients and verifiers pin it, and
 * believe nothing that names other contracts. `npm start` writes data/consortium.json; scripts/deploy.ts
 * writes one for a real chain.
 */
export const consortiumDescriptorSchema = z.object({
  version: z.literal(1),
  type: z.literal("aidproof/consortium"),
  name: z.string().max(200).optional(),
  chainId: z.string().regex(/^\d+$/),
  genesisHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  deploymentBlock: z.number().int().nonnegative(),
  contracts: z.object({
    consortium: address,
    evidenceRegistry: address,
    claimRegistry: address,
    juryCourt: address,
    announcementRegistry: address,
    membershipRegistry: address,
    chargeRegistry: address,
  }),
  /** A public RPC endpoint of the consortium's chain; any other endpoint of the same chain will do. */
  rpcUrl: z.url().optional(),
});

export type ConsortiumDescriptor = z.infer<typeof consortiumDescriptorSchema>;

export class DescriptorError extends Error {}

/** Parses a descriptor, with one message naming what is wrong. */
export function parseDescriptor(input: unknown): ConsortiumDescriptor {
  const parsed = consortiumDescriptorSchema.safeParse(input);
  if (!parsed.success) throw new DescriptorError(`not a consortium descriptor: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The descriptor of a deployment as the chain has it: for `npm start` and scripts/deploy.ts. */
export async function describeDeployment(
  provider: Provider,
  deployment: { chainId: bigint | string; deploymentBlock: number; contracts: ConsortiumDescriptor["contracts"] },
  extra: Pick<ConsortiumDescriptor, "name" | "rpcUrl"> = {},
): Promise<ConsortiumDescriptor> {
  const genesis = await provider.getBlock(0);
  if (!genesis?.hash) throw new Error("the chain has no genesis block to pin");
  return parseDescriptor({
    version: 1,
    type: "aidproof/consortium",
    ...extra,
    chainId: deployment.chainId.toString(),
    genesisHash: genesis.hash,
    deploymentBlock: deployment.deploymentBlock,
    contracts: deployment.contracts,
  });
}
