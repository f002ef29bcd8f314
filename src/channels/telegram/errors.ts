// Telegram's answers to a failed send, in the vocabulary of ChannelAdapter.send.
import { GrammyError } from "grammy";
import { RateLimitedError, UnreachableError } from "../types.ts";

/** Descriptions Telegram gives when a chat can never be written to again (until the user comes back). */
const UNREACHABLE =
  /bot was blocked by the user|user is deactivated|chat not found|user not found|bot was kicked|bot is not a member|bot can't initiate conversation|have no rights to send|chat_write_forbidden|peer_id_invalid/i;

/** 429 → RateLimitedError(retry_after); blocked / deactivated / chat gone → UnreachableError; else unchanged. */
export function mapSendError(error: unknown): unknown {
  if (!(error instanceof GrammyError)) return error;
  if (error.error_code === 429) {
    const retryAfter = error.parameters?.retry_after;
    return new RateLimitedError(typeof retryAfter === "number" && retryAfter > 0 ? retryAfter : 1, `Telegram: ${error.description}`);
  }
  if (error.error_code === 403 || (error.error_code === 400 && UNREACHABLE.test(error.description))) {
    return new UnreachableError(`Telegram ${error.error_code}: ${error.description}`);
  }
  return error;
}
