// The channel-agnostic vocabulary: what a channel adapter hands the core, and what it gets back.
import type { Logger } from "../logging/logger.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Config } from "../config/env.ts";
import type { Messages } from "./messages.ts";
import type { WindowCounter } from "./rate-limit.ts";
import type { Outbox } from "../outbox/outbox.ts";
import type { QueueSet } from "../queue/queues.ts";

export type ChannelName = "telegram" | "zalo" | "cli";

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

export type RoleName = "OFFICER" | "SUPERVISOR" | "ADMIN";

export interface RoleGrant {
  role: RoleName;
  unitCode: string;
}

export interface Actor {
  personId: number;
  identityId: number;
  roles: RoleGrant[];
  isNew: boolean;
}

/** Free-form per-identity dialogue state (guide step, numbered options…), persisted between turns. */
export type DialogueState = Record<string, unknown>;

export interface CoreServices {
  config: Config;
  prisma: PrismaClient;
  messages: Messages;
  log: Logger;
  /** Shared counters (Redis in the app, memory in the CLI) for limits such as code guesses. */
  counter: WindowCounter;
  /** Sends outside a turn; absent in the one-shot CLI (no Redis there). */
  outbox?: Outbox;
  /** Queues for delayed work; absent in the one-shot CLI. */
  queues?: QueueSet;
}

export interface TurnContext {
  message: IncomingMessage;
  /** The user's text, trimmed and cut to MAX_MESSAGE_CHARS (empty when a button was pressed). */
  text: string;
  actor: Actor;
  services: CoreServices;
  log: Logger;
  loadState(): Promise<DialogueState>;
  saveState(state: DialogueState): Promise<void>;
  /** Set by handlers whose turn must not be stored (e.g. the erase request itself). */
  doNotLog?: boolean;
  /** What the turn answered, filled by the handler (the FAQ, a command…). */
  outcome?: TurnOutcome;
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
}

export type Middleware = (ctx: TurnContext, next: () => Promise<Reply[]>) => Promise<Reply[]>;
