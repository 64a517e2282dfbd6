import { isAddress, isHexString } from "ethers";
import { z } from "zod";
import type { DeploymentConfig } from "./deployAidProof";

const address = z.string().refine((value) => isAddress(value), "must be a 0x-prefixed address");

export const deploymentConfigSchema = z
  .object({
    members: z
      .array(
        z.object({
          account: address,
          name: z.string().min(1),
          encryptionKey: z
            .string()
            .refine((value) => isHexString(value, 33), "must be a 33-byte compressed secp256k1 public key"),
        }),
      )
      .min(1),
    threshold: z.number().int().min(1),
    gateways: z.array(address),
    disputeWindowSeconds: z.number().int().nonnegative(),
    /** The plan announced twice a month: 14 days by default. */
    announcementPeriodSeconds: z
      .number()
      .int()
      .positive()
      .default(14 * 24 * 3600),
    /** The member jury's rules (IConsortium.JuryRules); production defaults when absent. */
    juryRules: z
      .object({
        qualificationSeconds: z.number().int().nonnegative(),
        votingSeconds: z.number().int().positive(),
        stallSeconds: z.number().int().positive(),
        minPoolSize: z.number().int().positive(),
        rosterSize: z.number().int().positive(),
        minValidVotes: z.number().int().positive(),
        majorityBps: z.number().int().min(5_000).max(9_999),
      })
      .optional(),
  })
  .refine((c) => c.threshold <= c.members.length, {
    message: "threshold must not exceed the number of members",
    path: ["threshold"],
  });

/** Parses an untrusted deployment config; throws a readable error naming each bad field. */
export function parseDeploymentConfig(input: unknown): DeploymentConfig {
  const result = deploymentConfigSchema.safeParse(input);
  if (!result.success) throw new Error(`invalid deployment config:\n${z.prettifyError(result.error)}`);
  return result.data;
}
