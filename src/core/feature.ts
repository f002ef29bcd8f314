// The feature contract: what a feature adds to the bot, in one object. The composition root (app.ts) loops
// over the list in features/index.ts — conversation parts when the core is built, workers and schedules
// when the app runs, routes of the admin API, queues for the queue board — and knows no feature's insides.
import type { ChannelAdapter, ChannelName, Outbox } from "./ports.ts";
import type { ApiRoutes } from "../http/admin-api.ts";
import type { QueueSet } from "../queue/queues.ts";
import type { ConversationLexicon } from "./conversation.ts";
import type { Registrar } from "./router.ts";
import type { Button, CoreServices, Reply, TurnContext } from "./types.ts";

export type { Registrar };

/** The topic menu shown under the greeting and /help. */
export type TopicMenu = () => Button[][];

/** Something `/start <argument>` (a deep link) can act on; returns no replies when the argument is not its own. */
export type StartArgumentHandler = (ctx: TurnContext, argument: string) => Promise<Reply[]>;

/**
 * Hooks one feature offers another without importing it: the FAQ supplies the topic menu, subscription the
 * handling of `/start u_<CODE>`, and /start uses both. Read when a turn runs, so the order of the list
 * does not matter for them.
 */
export interface FeatureHooks {
  topicMenu?: TopicMenu;
  startArguments: StartArgumentHandler[];
}

/** What register() gets: the core's services and the pieces shared by every turn. */
export interface FeatureSetup {
  services: CoreServices;
  conversation: ConversationLexicon;
  hooks: FeatureHooks;
}

/** What start() and api() get in the running app: the services with their queues and outbox, and the started channels. */
export interface FeatureRuntime {
  services: CoreServices & { outbox: Outbox; queues: QueueSet };
  channels: ReadonlyMap<ChannelName, ChannelAdapter>;
}

export interface Feature {
  /** Names the feature in errors ("command /x registered twice: by tasks and reminders") and logs. */
  name: string;
  /** Adds the feature's commands, payload handlers and interceptors (interceptors run in list order). */
  register?(router: Registrar, setup: FeatureSetup): void;
  /** Names of the queues whose jobs it runs (shown on /admin/queues). */
  queues?: readonly string[];
  /** Starts its workers, schedules and outbox handlers, before the outbox starts sending. */
  start?(runtime: FeatureRuntime): Promise<void> | void;
  /** Its routes of the admin HTTP API (/api/…), if any. */
  api?(runtime: FeatureRuntime): ApiRoutes;
}
