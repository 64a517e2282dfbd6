import pino, { type Logger } from "pino";

export type { Logger };

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(level: string, name = "aidproof"): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
