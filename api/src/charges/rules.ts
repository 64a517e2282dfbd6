/** Cost sharing's fixed rules, set when the ChargeRegistry is deployed. */
export interface ChargeRules {
  /** Most a member pays per claim paid in a period, in the smallest currency unit; 0 for no cap. */
  capPerPaidClaim: bigint;
  /** Seconds from a member's join being recorded to the member sharing costs. */
  waitingSeconds: number;
}

/** The plan's: 0.1 RMB (10 fen) per sick member, and a 90-day wait. */
export const PRODUCTION_CHARGE_RULES: ChargeRules = { capPerPaidClaim: 10n, waitingSeconds: 90 * 86_400 };
