// Telegram channel on grammY: webhook (POST /webhooks/telegram, secret header checked) or long polling
// (@grammyjs/runner, sequential per chat), chosen by TELEGRAM_MODE. A thin adapter: update → zod-checked
// IncomingMessage → core pipeline → Reply[] rendered as Telegram messages. No business logic here.
//
// - The same update delivered twice is processed once (update_id remembered in Redis for a day).
// - Calls made inside a turn retry on 429 (retry_after) and 5xx (@grammyjs/auto-retry); `send()`, used by
//   reminders and broadcasts, never waits: it throws RateLimitedError / UnreachableError for the caller's
//   queue to act on.
import { createHash, timingSafeEqual } from "node:crypto";
import { autoRetry, type AutoRetryOptions } from "@grammyjs/auto-retry";
import { run, sequentialize, type RunnerHandle } from "@grammyjs/runner";
import { Api, Bot, webhookCallback, type Context } from "grammy";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import type { Config } from "../../config/env.ts";
import type { Logger } from "../../logging/logger.ts";
import { UnreachableError, type ChannelAdapter, type ChannelDeps, type Core, type IncomingMessage, type Reply, type SentMessage } from "../../core/ports.ts";
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
/** How long an update_id is remembered (Telegram gives up re-delivering long before). */
const DEDUP_TTL_SEC = 86_400;

export interface TelegramAdapterOptions {
  config: Config;
  core: Core;
  /** Any ioredis connection (the QueueSet's producer in the app). */
  redis: Pick<Redis, "set">;
  log: Logger;
  /** Prefix of the de-duplication keys. */
  keyPrefix?: string;
  /** Automatic retry of calls made inside a turn. */
  retry?: Partial<AutoRetryOptions>;
  /** getUpdates long-polling timeout, seconds. */
  pollTimeoutSec?: number;
  /** Webhook: answer Telegram 200 after this long even when the turn is still running (it goes on). */
  webhookTimeoutMs?: number;
}

type TelegramContext = Context & { checked?: TelegramUpdate };

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

  constructor(private readonly options: TelegramAdapterOptions) {
    const { config, core } = options;
    const token = config.TELEGRAM_BOT_TOKEN;
    if (!token) throw new Error("TELEGRAM_BOT_TOKEN is not set");
    if (config.telegramMode === "webhook" && !config.TELEGRAM_WEBHOOK_SECRET) {
      throw new Error("TELEGRAM_WEBHOOK_SECRET is required in webhook mode");
    }
    this.log = options.log;
    this.botId = token.split(":")[0]!;
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
      if (!(await this.firstDelivery(parsed.data.update_id))) {
        this.log.debug({ updateId: parsed.data.update_id }, "duplicate telegram update ignored");
        return;
      }
      ctx.checked = parsed.data;
      await next();
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

  /** SET NX: true the first time an update_id is seen. Redis down → process anyway (better twice than never). */
  private async firstDelivery(updateId: number): Promise<boolean> {
    const key = `${this.options.keyPrefix ?? "troly06:tg:update:"}${this.botId}:${updateId}`;
    try {
      return (await this.options.redis.set(key, "1", "EX", DEDUP_TTL_SEC, "NX")) === "OK";
    } catch (error) {
      this.log.warn({ err: error }, "could not check telegram update for duplicates; processing it");
      return true;
    }
  }

  private async onMessage(ctx: TelegramContext, message: TelegramMessage): Promise<void> {
    const decision = messageToIncoming(message, { id: ctx.me.id, username: ctx.me.username });
    if (decision.kind === "ignore") {
      this.log.debug({ reason: decision.reason }, "telegram message ignored");
      return;
    }
    await this.turn(ctx.api, decision.message, decision.replyTo);
  }

  private async onCallback(ctx: TelegramContext, query: TelegramCallbackQuery): Promise<void> {
    // Always answer, first: it stops the button's spinner whatever happens next.
    await ctx.answerCallbackQuery().catch((error: unknown) => this.log.warn({ err: error }, "answerCallbackQuery failed"));
    const incoming = callbackToIncoming(query);
    if (incoming) await this.turn(ctx.api, incoming, undefined);
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

  private async turn(api: Api, incoming: IncomingMessage, replyTo: number | undefined): Promise<void> {
    const { replies } = await this.options.core.pipeline.handle(incoming);
    const chatId = chatIdParam(incoming.chatId);
    try {
      await sendReplies(api, chatId, replies, { replyTo });
    } catch (error) {
      if (error instanceof RenderError) {
        // A bug in the core (payload too long…): say sorry instead of leaving the user without an answer.
        this.log.error({ err: error }, "telegram: reply cannot be rendered");
        await api.sendMessage(chatId, this.options.core.services.messages.error).catch(() => undefined);
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
    const callback = webhookCallback(this.bot, "fastify", {
      secretToken: secret,
      // Telegram re-sends an update whose webhook call is slow; answer in time and let the turn go on.
      onTimeout: "return",
      timeoutMilliseconds: this.options.webhookTimeoutMs ?? 8_000,
    });
    app.post(
      TELEGRAM_WEBHOOK_PATH,
      {
        // Before the body is even parsed: a caller without the secret learns nothing and costs nothing.
        onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
          if (!sameSecret(request.headers[SECRET_HEADER], secret)) {
            this.log.warn("telegram webhook called without the right secret");
            return reply.code(401).send({ ok: false, error: "unauthorized" });
          }
        },
      },
      async (request, reply) => {
        if (!updateSchema.safeParse(request.body).success) {
          return reply.code(400).send({ ok: false, error: "malformed update" });
        }
        await callback(request, reply);
        return reply;
      },
    );
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
  });
}
