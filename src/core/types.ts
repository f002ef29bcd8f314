// The vocabulary of a turn inside the core: who is talking, the services a handler may use, the context it
// gets. What crosses layers (messages, replies, adapters, the outbox) is in ports.ts and re-exported here.
import type { ChannelRegistry } from "../channels/registry.ts";
import type { Logger } from "../logging/logger.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Config } from "../config/env.ts";
import type { Messages } from "./messages.ts";
import type { WindowCounter } from "./rate-limit.ts";
import type { IncomingMessage, Outbox, Reply, TurnOutcome } from "./ports.ts";
import type { QueueSet } from "../queue/queues.ts";

export type { Button, ChannelName, IncomingMessage, Reply, TurnOutcome, TurnResult } from "./ports.ts";

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
  /** The channels there are (channels/registry.ts; tests may add a fake one). */
  registry: ChannelRegistry;
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

export type Middleware = (ctx: TurnContext, next: () => Promise<Reply[]>) => Promise<Reply[]>;
