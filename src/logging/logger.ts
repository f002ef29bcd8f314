// pino logger whose every string passes through the PII redactor before it is written.
import pino, { type Logger, type LoggerOptions } from "pino";
import { redactPII } from "../privacy/redact.ts";

export type { Logger };

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactPII(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { type: value.name, message: redactPII(value.message), stack: value.stack ? redactPII(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

export function createLogger(
  level: LoggerOptions["level"] = "info",
  destination: pino.DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        // Redact the message and every merged object; tokens are removed by `redact` below.
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
      redact: {
        paths: ["token", "*.token", "headers.authorization", "headers[\"x-telegram-bot-api-secret-token\"]", "headers[\"x-bot-api-secret-token\"]"],
        censor: "[hidden]",
      },
    },
    destination,
  );
}
