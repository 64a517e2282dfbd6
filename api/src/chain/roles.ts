import { id } from "ethers";

/** AidProofRoles, as the Consortium's AccessControl knows them. */
export const ROLES = {
  VALIDATOR: id("VALIDATOR_ROLE"),
  GATEWAY: id("GATEWAY_ROLE"),
  JURY_COURT: id("JURY_COURT_ROLE"),
} as const;
