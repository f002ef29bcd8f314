// What every channel adapter offers the rest of the app.
import type { FastifyInstance } from "fastify";
import type { ChannelName, Reply } from "../core/types.ts";

export interface SentMessage {
  /** Platform message id of the (last) message sent, when the platform returns one. */
  messageRef?: string | undefined;
}

/** The platform said to slow down; nothing was sent. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(
    readonly retryAfterSec: number,
    message = `rate limited for ${retryAfterSec} s`,
  ) {
    super(message);
  }
}

/** The recipient cannot be reached (blocked the bot, chat gone): do not retry. */
export class UnreachableError extends Error {
  override name = "UnreachableError";
}

export interface ChannelAdapter {
  name: ChannelName;
  /** Adds webhook routes to the HTTP server (called before it listens). */
  routes?(app: FastifyInstance): void | Promise<void>;
  /** Starts polling, or registers the webhook when PUBLIC_URL is set. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Sends replies outside a conversation turn (reminders, announcements, handoff relays).
   * Throws RateLimitedError or UnreachableError; other errors are transient.
   */
  send(chatId: string, replies: Reply[]): Promise<SentMessage>;
}
