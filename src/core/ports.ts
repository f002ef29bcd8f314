// What crosses layers: the messages a channel adapter hands the core and the replies it renders, the
// adapter contract itself (with its send errors), the outbox as features see it, and the part of the core
// an adapter may use. Channel adapters, the outbox and features import these from here, never from the
// composition root (app.ts).
//
// This module only imports types from leaves (the channel registry, config, logging, queue, messages, the
// generated client): nothing it imports may import it back.
import type { FastifyInstance } from "fastify";
import type { ChannelName } from "../channels/registry.ts";
import type { Config } from "../config/env.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { QueueSet } from "../queue/queues.ts";
import type { Messages } from "./messages.ts";

/** A name from the channel registry (channels/registry.ts). */
export type { ChannelName };

// ───────────────────────────── a turn, as a channel sees it ─────────────────────────────

export interface IncomingMessage {
  channel: ChannelName;
  /** The platform's user id (string on every platform). */
  userId: string;
  /** Where replies go. */
  chatId: string;
  displayName?: string | undefined;
  /** What the user typed. */
  text?: string | undefined;
  /** Payload of a pressed button, instead of text. */
  payload?: string | undefined;
  receivedAt: Date;
  /** True for a group chat: replies go to the group, but the sender's own address stays their private chat. */
  isGroup?: boolean | undefined;
  /** Platform message id, when the adapter has one (used to match officer replies in handoff). */
  messageRef?: string | undefined;
  /** Platform message id this message replies to. */
  replyToRef?: string | undefined;
}

export interface Button {
  label: string;
  /** Opaque to channels; at most 64 bytes so it fits Telegram's callback_data. */
  payload: string;
}

export interface Reply {
  text: string;
  /** Rows of buttons. */
  buttons?: Button[][];
  image?: { png: Buffer; caption?: string };
}

export interface TurnOutcome {
  intentId: string | null;
  confidence: number;
  /** True when nothing was answered (the user got the fallback). */
  fallback: boolean;
  /** Intent ids offered as suggestions. */
  suggestions: string[];
}

export interface TurnResult {
  replies: Reply[];
  outcome: TurnOutcome;
  /**
   * Set when the turn failed because the database could not be reached: the replies are only the polite
   * "please try again". A channel whose platform re-delivers (Telegram, Zalo webhooks) sends nothing and
   * asks for a re-delivery instead (ServiceUnavailableError).
   */
  unavailable?: "database";
}

/** A command as the platforms' command menus list it. */
export interface CommandListing {
  name: string;
  description: string;
  /** Who sees it listed (not access control). */
  listedFor: "everyone" | "staff";
}

/** What a channel adapter may use of the core: answer a message, list the commands, reach the database. */
export interface Core {
  pipeline: { handle(message: IncomingMessage): Promise<TurnResult> };
  router: { listCommands(): CommandListing[] };
  services: { prisma: PrismaClient; messages: Messages };
}

// ───────────────────────────── channel adapters ─────────────────────────────

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

/** A turn could not run because a dependency (the database) is down: worth a re-delivery later. */
export class ServiceUnavailableError extends Error {
  override name = "ServiceUnavailableError";
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

/** What an adapter factory gets from the composition root. */
export interface ChannelDeps {
  config: Config;
  core: Core;
  queues: QueueSet;
  log: Logger;
}

/** What each adapter module exports as `createAdapter` (loaded lazily by the channel registry). */
export type ChannelFactory = (deps: ChannelDeps) => ChannelAdapter;

/**
 * What an adapter module may export as `qrLink`: the link a unit's QR code holds (`admin qr`), and whether
 * it carries the start argument (else the citizen types the unit's code first).
 */
export type QrLink = (
  config: Config,
  /** botName: --bot-username (Telegram, Zalo); baseUrl: --base-url, the address the web chat is reached at. */
  options: { startArgument: string; botName?: string | undefined; baseUrl?: string | undefined },
) => Promise<{ link: string; carriesStart: boolean }>;

// ───────────────────────────── the outbox, as features see it ─────────────────────────────

export interface OutboundMessage {
  /** Unique per (purpose, recipient): "b-12-345" for broadcast 12 to identity 345. No ':' allowed. */
  key: string;
  channel: ChannelName;
  chatId: string;
  replies: Reply[];
  /** Who handles the outcome: "broadcast", "reminder", "handoff"… */
  kind: string;
  /** Free data for the outcome handler (ids). */
  ref?: Record<string, string | number | null>;
}

export type Outcome =
  | { status: "sent"; messageRef?: string | undefined }
  | { status: "unreachable"; error: string }
  | { status: "failed"; error: string }
  | { status: "uncertain" };

export type OutcomeHandler = (message: Omit<OutboundMessage, "replies">, outcome: Outcome) => Promise<void>;

/**
 * Asked just before a message of its kind is sent: false skips the message (nothing is sent, no outcome is
 * reported: the gate records why). Runs only when the message would really go out now, never when an
 * earlier attempt's outcome is re-reported.
 */
export type SendGate = (message: Omit<OutboundMessage, "replies">) => Promise<boolean>;

/** Every message sent outside a turn goes through here (implemented by outbox/outbox.ts). */
export interface Outbox {
  /** Registers what happens after a message of `kind` is sent, found unreachable, or fails for good. */
  onOutcome(kind: string, handler: OutcomeHandler): void;
  /** Registers a last check before messages of `kind` are sent (e.g. "was this broadcast cancelled?"). */
  beforeSend(kind: string, gate: SendGate): void;
  /** Whether there is an adapter for the channel (messages for other channels would wait forever). */
  canSend(channel: ChannelName): boolean;
  /** Takes queued messages off their queues; returns how many were removed. */
  remove(messages: Array<Pick<OutboundMessage, "key" | "channel">>): Promise<number>;
  /** Queues messages; a key already queued (or sent within a day) is not queued twice. */
  enqueue(messages: OutboundMessage[], options?: { delayMs?: number; priority?: number }): Promise<void>;
}
