// Telegram channel on grammY: webhook (POST /webhooks/telegram, secret header checked) or long polling
// (@grammyjs/runner, sequential per chat), chosen by TELEGRAM_MODE. A thin adapter: update → zod-checked
// IncomingMessage → core pipeline → Reply[] rendered as Telegram messages. No business logic here.
//
// - At least once in, at most once out (../ledger.ts): an update gets an "in progress" lease while its turn
//   runs and is marked done only after its replies went out; a re-delivery after a crash (lease expired)
//   is answered, and each reply message is claimed before it is sent, so none goes twice. Webhook calls
//   answer 200 only once the update is done (503 while it is in progress or after a transient failure).
// - Calls made inside a turn retry on 429 (retry_after) and 5xx (@grammyjs/auto-retry); `send()`, used by
//   reminders and broadcasts, never waits: it throws RateLimitedError / UnreachableError for the caller's
//   queue to act on.
import { createHash, timingSafeEqual } from "node:crypto";
import { autoRetry, type AutoRetryOptions } from "@grammyjs/auto-retry";
import { run, sequentialize, type RunnerHandle } from "@grammyjs/runner";
import { Api, Bot, GrammyError, type Context } from "grammy";
import type { Update } from "grammy/types";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import type { Config } from "../../config/env.ts";
import { checkCredentials } from "../../http/guard.ts";
import type { Logger } from "../../logging/logger.ts";
import { UpdateLedger } from "../ledger.ts";
import { ServiceUnavailableError, UnreachableError, type ChannelAdapter, type ChannelDeps, type ChannelFactory, type Core, type IncomingMessage, type Reply, type SentMessage } from "../../core/ports.ts";
import { CommandMenu } from "./commands.ts";
import { mapSendError } from "./errors.ts";
import { RenderError, sendReplies } from "./render.ts";
import {
  callbackToIncoming,
  messageToIncoming,
  updateSchema,
  type TelegramCallbackQuery,
  type TelegramMessage,
  type TelegramUpdate,
} from "./updates.ts";

export const TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram";
export const SECRET_HEADER = "x-telegram-bot-api-secret-token";
/** The only updates the bot asks Telegram for. */
export const ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"] as const;
/** What became of one delivery of an update (the webhook's answer depends on it). */
type Outcome = "done" | "duplicate" | "busy" | "retry" | "ignored";

export interface TelegramAdapterOptions {
  config: Config;
  core: Core;
  /** Any ioredis connection (the QueueSet's producer in the app). */
  redis: Pick<Redis, "set" | "get" | "del" | "pttl" | "eval">;
  log: Logger;
  /** Prefix of the de-duplication keys. */
  keyPrefix?: string;
  /** "In progress" lease of an update: a re-delivery after this long is answered again. */
  leaseMs?: number;
  /** Automatic retry of calls made inside a turn. */
  retry?: Partial<AutoRetryOptions>;
  /** getUpdates long-polling timeout, seconds. */
  pollTimeoutSec?: number;
  /** Webhook: answer 503 after this long when the turn is still running (it goes on; the re-delivery is a duplicate). */
  webhookTimeoutMs?: number;
}

type TelegramContext = Context & { checked?: TelegramUpdate; ledgerId?: string };

/** A failure worth a re-delivery: network errors, 5xx and 429 from Telegram, our own errors (database…). */
function retriable(error: unknown): boolean {
  return !(error instanceof GrammyError && error.error_code < 500 && error.error_code !== 429);
}

const chatIdParam = (chatId: string): number | string => (/^-?\d+$/.test(chatId) ? Number(chatId) : chatId);

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export class TelegramAdapter implements ChannelAdapter {
  readonly name = "telegram" as const;
  readonly bot: Bot<TelegramContext>;
  /** For start-up calls (webhook, command menus): retries a few times, then fails. */
  private readonly controlApi: Api;
  private readonly menu: CommandMenu;
  private readonly log: Logger;
  private readonly botId: string;
  private runner: RunnerHandle | undefined;
  private readonly ledger: UpdateLedger;
  /** Outcome per delivered update object (grammY hands the same object to the middleware). */
  private readonly outcomes = new WeakMap<object, Outcome>();

  constructor(private readonly options: TelegramAdapterOptions) {
    const { config, core } = options;
    const token = config.TELEGRAM_BOT_TOKEN;
    if (!token) throw new Error("TELEGRAM_BOT_TOKEN is not set");
    if (config.telegramMode === "webhook" && !config.TELEGRAM_WEBHOOK_SECRET) {
      throw new Error("TELEGRAM_WEBHOOK_SECRET is required in webhook mode");
    }
    this.log = options.log;
    this.botId = token.split(":")[0]!;
    this.ledger = new UpdateLedger({
      redis: options.redis,
      prisma: core.services.prisma,
      log: this.log,
      prefix: options.keyPrefix ?? "troly06:tg:update:",
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    });
    const client = { apiRoot: config.TELEGRAM_API_ROOT.replace(/\/+$/, "") };
    // bot.api has no retry transformer: `send()` must surface 429s instead of sleeping on them.
    this.bot = new Bot<TelegramContext>(token, { client });
    this.controlApi = new Api(token, client);
    this.controlApi.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60 }));
    this.menu = new CommandMenu(this.controlApi, core.router, core.services.prisma, this.log);
    this.install();
  }

  private install(): void {
    const bot = this.bot;
    // Nothing thrown below may reach grammY: in webhook mode it would turn into an unhandled rejection.
    bot.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        this.log.error({ err: error, updateId: ctx.update.update_id }, "telegram update failed");
      }
    });
    bot.use(async (ctx, next) => {
      const parsed = updateSchema.safeParse(ctx.update);
      if (!parsed.success) {
        const fields = parsed.error.issues.slice(0, 3).map((issue) => issue.path.join("."));
        this.log.warn({ fields }, "malformed telegram update ignored");
        return;
      }
      const id = `${this.botId}:${parsed.data.update_id}`;
      // Polling has no re-delivery to wait for: a lease held by a crashed run is waited out.
      const begun = this.options.config.telegramMode === "polling" ? await this.ledger.beginOrWait(id) : await this.ledger.begin(id);
      if (begun !== "new") {
        this.log.debug({ updateId: parsed.data.update_id, state: begun }, "telegram update already answered or in progress");
        this.outcomes.set(ctx.update, begun === "done" ? "duplicate" : "busy");
        return;
      }
      ctx.checked = parsed.data;
      ctx.ledgerId = id;
      const release = this.ledger.hold(id);
      try {
        await next();
      } catch (error) {
        release();
        if (retriable(error)) {
          this.log.warn({ err: error, updateId: parsed.data.update_id }, "telegram update failed; it will be answered when delivered again");
          await this.ledger.abandon(id).catch(() => undefined);
          this.outcomes.set(ctx.update, "retry");
          return;
        }
        this.log.error({ err: error, updateId: parsed.data.update_id }, "telegram update failed");
      }
      release();
      await this.ledger.finish(id);
      this.outcomes.set(ctx.update, "done");
    });
    // One chat's updates in order; different chats in parallel (the runner fetches concurrently).
    bot.use(sequentialize((ctx: TelegramContext) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));
    // Inside a turn, wait out 429 retry_after and retry 5xx / network errors.
    bot.use(async (ctx, next) => {
      ctx.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60, ...this.options.retry }));
      await next();
    });
    bot.use(async (ctx) => {
      const update = ctx.checked!;
      if (update.message) await this.onMessage(ctx, update.message);
      else if (update.callback_query) await this.onCallback(ctx, update.callback_query);
      else if (update.my_chat_member) await this.onMemberChange(update.my_chat_member);
    });
    bot.catch((error) => this.log.error({ err: error.error }, "telegram update failed"));
  }

  private async onMessage(ctx: TelegramContext, message: TelegramMessage): Promise<void> {
    const decision = messageToIncoming(message, { id: ctx.me.id, username: ctx.me.username });
    if (decision.kind === "ignore") {
      this.log.debug({ reason: decision.reason }, "telegram message ignored");
      return;
    }
    await this.turn(ctx.api, decision.message, decision.replyTo, ctx.ledgerId);
  }

  private async onCallback(ctx: TelegramContext, query: TelegramCallbackQuery): Promise<void> {
    // Always answer, first: it stops the button's spinner whatever happens next.
    await ctx.answerCallbackQuery().catch((error: unknown) => this.log.warn({ err: error }, "answerCallbackQuery failed"));
    const incoming = callbackToIncoming(query);
    if (incoming) await this.turn(ctx.api, incoming, undefined, ctx.ledgerId);
  }

  private async onMemberChange(update: NonNullable<TelegramUpdate["my_chat_member"]>): Promise<void> {
    const status = update.new_chat_member.status;
    if (update.chat.type !== "private") {
      this.log.info({ chatType: update.chat.type, status }, "telegram: bot membership changed in a group");
      return;
    }
    // In a private chat, "kicked" means the user blocked the bot; "member" that they unblocked it.
    if (status === "kicked") await this.setUnreachable(String(update.from.id), new Date(update.date * 1000));
    else if (status === "member") await this.setUnreachable(String(update.from.id), null);
  }

  private async setUnreachable(userId: string, at: Date | null): Promise<void> {
    await this.options.core.services.prisma.channelIdentity.updateMany({
      where: { channel: "TELEGRAM", externalUserId: userId },
      data: { unreachableAt: at },
    });
    this.log.info({ unreachable: at !== null }, "telegram user reachability changed");
  }

  private async turn(api: Api, incoming: IncomingMessage, replyTo: number | undefined, ledgerId: string | undefined): Promise<void> {
    const { replies, unavailable } = await this.options.core.pipeline.handle(incoming);
    // The database is down: nothing is sent, the update is not marked done, and the webhook answers 503
    // (retriable), so Telegram delivers it again once the database is back. Polling gets no re-delivery:
    // there the citizen is told to try again.
    if (unavailable && this.options.config.telegramMode === "webhook") throw new ServiceUnavailableError(`${unavailable} unavailable`);
    const chatId = chatIdParam(incoming.chatId);
    const ledger = this.ledger;
    const once = ledgerId
      ? { claim: (n: number) => ledger.claimReply(ledgerId, n), release: (n: number) => ledger.releaseReply(ledgerId, n) }
      : undefined;
    try {
      await sendReplies(api, chatId, replies, { replyTo, once });
    } catch (error) {
      if (error instanceof RenderError) {
        // A bug in the core (payload too long…): say sorry instead of leaving the user without an answer.
        this.log.error({ err: error }, "telegram: reply cannot be rendered");
        if (!ledgerId || (await ledger.claimReply(ledgerId, 999))) {
          await api.sendMessage(chatId, this.options.core.services.messages.error).catch(() => undefined);
        }
        return;
      }
      const mapped = mapSendError(error);
      if (mapped instanceof UnreachableError) {
        if (incoming.chatId === incoming.userId) await this.setUnreachable(incoming.userId, new Date());
        this.log.info({ err: mapped.message }, "telegram: chat unreachable while answering");
        return;
      }
      throw error;
    }
  }

  routes(app: FastifyInstance): void {
    const { config } = this.options;
    if (config.telegramMode !== "webhook") return;
    const secret = config.TELEGRAM_WEBHOOK_SECRET!;
    const timeoutMs = this.options.webhookTimeoutMs ?? 8_000;
    app.post(
      TELEGRAM_WEBHOOK_PATH,
      {
        // Before the body is even parsed: a caller without the secret learns nothing and costs nothing;
        // only Telegram's own calls count against the per-IP limit.
        onRequest: async (request: FastifyRequest, reply: FastifyReply) =>
          checkCredentials(app, request, reply, sameSecret(request.headers[SECRET_HEADER], secret), "telegram webhook", this.log),
      },
      async (request, reply) => {
        if (!updateSchema.safeParse(request.body).success) {
          return reply.code(400).send({ ok: false, error: "malformed update" });
        }
        const outcome = await this.handleWebhookUpdate(request.body as Update, timeoutMs);
        // 200 only when the update is answered (or was before, or is not for us): anything else makes
        // Telegram deliver it again, and the ledger keeps that from answering twice.
        if (outcome === "done" || outcome === "duplicate" || outcome === "ignored") return reply.code(200).send({ ok: true });
        return reply.code(503).send({ ok: false, error: outcome === "busy" ? "in progress" : "try again" });
      },
    );
  }

  private async handleWebhookUpdate(update: Update, timeoutMs: number): Promise<Outcome | "timeout"> {
    if (!this.bot.isInited()) await this.bot.init();
    const work = this.bot.handleUpdate(update).then(
      () => this.outcomes.get(update) ?? "retry",
      (error: unknown) => {
        this.log.error({ err: error }, "telegram update failed");
        return "retry" as const;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async start(): Promise<void> {
    const { config } = this.options;
    await this.bot.init(); // getMe: a wrong token stops start-up here, with Telegram's own words
    this.log.info({ username: this.bot.botInfo.username, mode: config.telegramMode }, "telegram bot identified");
    try {
      await this.menu.publish();
    } catch (error) {
      this.log.warn({ err: error }, "could not publish telegram command menus");
    }
    if (config.telegramMode === "webhook") {
      if (config.PUBLIC_URL) {
        const url = `${config.PUBLIC_URL.replace(/\/+$/, "")}${TELEGRAM_WEBHOOK_PATH}`;
        await this.controlApi.setWebhook(url, {
          secret_token: config.TELEGRAM_WEBHOOK_SECRET!,
          allowed_updates: [...ALLOWED_UPDATES],
        });
        this.log.info({ url }, "telegram webhook registered");
      } else {
        this.log.warn(`telegram in webhook mode without PUBLIC_URL: register ${TELEGRAM_WEBHOOK_PATH} with Telegram yourself`);
      }
      return;
    }
    // getUpdates refuses to work while a webhook is set.
    await this.controlApi.deleteWebhook();
    this.runner = run(this.bot, {
      runner: { fetch: { timeout: this.options.pollTimeoutSec ?? 30, allowed_updates: [...ALLOWED_UPDATES] } },
    });
    this.log.info("telegram long polling started");
  }

  async stop(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (runner?.isRunning()) await runner.stop();
  }

  async send(chatId: string, replies: Reply[]): Promise<SentMessage> {
    try {
      const last = await sendReplies(this.bot.api, chatIdParam(chatId), replies);
      return { messageRef: last === undefined ? undefined : String(last) };
    } catch (error) {
      throw mapSendError(error);
    }
  }

  /** After granting or revoking a role: shows or hides the staff commands in that private chat. */
  refreshStaffCommands(chatId: string): Promise<void> {
    return this.menu.refreshStaffCommands(chatId);
  }
}

export function createTelegramAdapter(deps: ChannelDeps): TelegramAdapter {
  return new TelegramAdapter({
    config: deps.config,
    core: deps.core,
    redis: deps.queues.redis,
    log: deps.log.child({ channel: "telegram" }),
    leaseMs: deps.config.UPDATE_LEASE_SECONDS * 1000,
  });
}

/** The factory the channel registry loads (channels/registry.ts). */
export const createAdapter: ChannelFactory = (deps) => createTelegramAdapter(deps);
export { qrLink } from "./link.ts";
