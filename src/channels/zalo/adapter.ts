// The Zalo channel (Zalo Bot Platform): platform update → IncomingMessage → pipeline → Zalo messages.
// Webhook mode (POST /webhooks/zalo, X-Bot-Api-Secret-Token checked) or long polling (getUpdates).
// Zalo has no buttons: options are numbered lines, and a reply "1", "2"… is turned back into the
// button's payload (the options of the last answer are kept per chat in Redis).
// At least once in, at most once out (../ledger.ts): an event is leased while its turn runs and marked done
// only after the answer went out; each answer message is claimed before it is sent.
import { createHash, timingSafeEqual } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Config } from "../../config/env.ts";
import { checkCredentials } from "../../http/guard.ts";
import type { Logger } from "../../logging/logger.ts";
import { maskId } from "../../privacy/redact.ts";
import { UpdateLedger } from "../ledger.ts";
import { RateLimitedError, ServiceUnavailableError, UnreachableError, type ChannelAdapter, type ChannelDeps, type ChannelFactory, type Core, type Reply, type SentMessage } from "../../core/ports.ts";
import {
  isTransientZaloError,
  ZaloAbortedError,
  ZaloApiError,
  ZaloClient,
  zaloWebhookBodySchema,
  type CallOptions,
  type ZaloClientOptions,
  type ZaloMessage,
  type ZaloUpdate,
} from "./client.ts";
import { DEFAULT_OPTIONS_HINT, parseChoice, renderReplies } from "./render.ts";

export const ZALO_WEBHOOK_PATH = "/webhooks/zalo";
export const ZALO_SECRET_HEADER = "x-bot-api-secret-token";

export interface ZaloAdapterDeps {
  config: Config;
  core: Core;
  /** For de-duplication and numbered options (the QueueSet's producer connection). */
  redis: Redis;
  log: Logger;
}

export interface ZaloAdapterOptions {
  /** Overrides for the API client (tests use short retry delays). */
  client?: Partial<Omit<ZaloClientOptions, "token" | "apiBase" | "log">>;
  /** Long-poll length in seconds. */
  pollTimeoutSec?: number;
  /** Backoff of the polling loop after errors. */
  pollBackoff?: { baseMs: number; maxMs: number };
  /** Prefix of the Redis keys. */
  keyPrefix?: string;
  dedupTtlSec?: number;
  /** "In progress" lease of an event: a re-delivery after this long is answered again. */
  leaseMs?: number;
  optionsTtlSec?: number;
  /** Used for RateLimitedError when the platform does not say how long to wait. */
  defaultRetryAfterSec?: number;
}

type Outcome = "done" | "duplicate" | "ignored" | "retry" | "busy";

const optionsSchema = z.array(z.string());

/** Constant-time comparison (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The recipient is gone: "not found", or a description that says the bot was blocked. */
function isUnreachable(error: ZaloApiError): boolean {
  return (
    error.errorCode === 404 ||
    /block|chặn|not found|không tìm thấy|không tồn tại|unfollow|bỏ quan tâm/i.test(error.description)
  );
}

function receivedAt(date: number | null | undefined): Date {
  if (!date || !Number.isFinite(date)) return new Date();
  return new Date(date > 1e11 ? date : date * 1000); // the docs show milliseconds
}

export class ZaloAdapter implements ChannelAdapter {
  readonly name = "zalo" as const;
  readonly client: ZaloClient;
  private readonly config: Config;
  private readonly core: Core;
  private readonly redis: Redis;
  private readonly log: Logger;
  private readonly opts: Required<Omit<ZaloAdapterOptions, "client" | "leaseMs">>;
  private readonly ledger: UpdateLedger;
  private polling: Promise<void> | undefined;
  private abort = new AbortController();
  private stopping = false;

  constructor(deps: ZaloAdapterDeps, options: ZaloAdapterOptions = {}) {
    if (!deps.config.ZALO_BOT_TOKEN) throw new Error("ZALO_BOT_TOKEN is not set");
    this.config = deps.config;
    this.core = deps.core;
    this.redis = deps.redis;
    this.log = deps.log.child({ channel: "zalo" });
    this.opts = {
      pollTimeoutSec: options.pollTimeoutSec ?? 30,
      pollBackoff: options.pollBackoff ?? { baseMs: 1000, maxMs: 60_000 },
      keyPrefix: options.keyPrefix ?? "troly06:zalo",
      dedupTtlSec: options.dedupTtlSec ?? 86_400,
      optionsTtlSec: options.optionsTtlSec ?? 86_400,
      defaultRetryAfterSec: options.defaultRetryAfterSec ?? 1,
    };
    this.ledger = new UpdateLedger({
      redis: deps.redis,
      prisma: deps.core.services.prisma,
      log: this.log,
      prefix: `${this.opts.keyPrefix}:update:`,
      doneTtlSec: this.opts.dedupTtlSec,
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    });
    this.client = new ZaloClient({
      ...options.client,
      token: deps.config.ZALO_BOT_TOKEN,
      apiBase: deps.config.ZALO_API_BASE,
      log: this.log,
    });
  }

  get mode(): "webhook" | "polling" {
    return this.config.zaloMode;
  }

  // ── Webhook ──────────────────────────────────────────────────────────────────────────────────

  routes(app: FastifyInstance): void {
    if (this.mode !== "webhook") return;
    const secret = this.config.ZALO_WEBHOOK_SECRET;
    app.post(
      ZALO_WEBHOOK_PATH,
      {
        bodyLimit: 256 * 1024,
        // Runs before the body is parsed: a wrong or missing secret gets 401 and nothing else happens.
        // Only Zalo's own calls count against the per-IP limit; others get a cheap 401 (guard.ts).
        onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
          const given = request.headers[ZALO_SECRET_HEADER];
          const valid = Boolean(secret) && typeof given === "string" && sameSecret(given, secret!);
          return checkCredentials(app, request, reply, valid, "zalo webhook", this.log);
        },
      },
      async (request, reply) => {
        const parsed = zaloWebhookBodySchema.safeParse(request.body);
        if (!parsed.success) {
          const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
          this.log.warn({ issues }, "Zalo webhook: malformed update");
          return reply.code(400).send({ ok: false, error: "malformed update" });
        }
        const outcome = await this.accept(parsed.data, "webhook");
        // 200 only once the message is handled (or known to be a duplicate / not for us).
        if (outcome === "retry" || outcome === "busy") {
          return reply.code(503).send({ ok: false, error: outcome === "busy" ? "in progress" : "try again" });
        }
        return reply.code(200).send({ ok: true });
      },
    );
  }

  // ── Lifecycle ────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    this.stopping = false;
    this.abort = new AbortController();
    if (this.mode === "webhook") {
      if (!this.config.PUBLIC_URL) {
        this.log.info(`Zalo webhook mode: set the webhook to <public URL>${ZALO_WEBHOOK_PATH} yourself, or set PUBLIC_URL`);
        return;
      }
      const url = `${this.config.PUBLIC_URL.replace(/\/+$/, "")}${ZALO_WEBHOOK_PATH}`;
      try {
        await this.client.setWebhook({ url, secret_token: this.config.ZALO_WEBHOOK_SECRET ?? "" });
        this.log.info({ url }, "Zalo webhook registered");
      } catch (error) {
        // The webhook may still be registered from an earlier run: keep serving, but say it loudly.
        this.log.error({ err: error instanceof Error ? error.message : String(error), url }, "could not register the Zalo webhook");
      }
      return;
    }
    this.polling = this.pollLoop();
    this.log.info({ timeoutSec: this.opts.pollTimeoutSec }, "Zalo long polling started");
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort(); // cancels the pending getUpdates and any backoff wait
    await this.polling;
    this.polling = undefined;
  }

  // ── Polling ──────────────────────────────────────────────────────────────────────────────────

  private async pollLoop(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    let webhookChecked = false;
    while (!this.stopping) {
      try {
        if (!webhookChecked) {
          // getUpdates does not work while a webhook is set.
          const info = await this.client.getWebhookInfo({ signal, attempts: 1 });
          if (info.url) {
            await this.client.deleteWebhook({ signal, attempts: 1 });
            this.log.info("Zalo webhook removed: ZALO_MODE is polling");
          }
          webhookChecked = true;
        }
        const updates = await this.client.getUpdates({ timeout: this.opts.pollTimeoutSec }, { signal });
        failures = 0;
        for (const update of updates) await this.accept(update, "polling");
      } catch (error) {
        if (this.stopping || error instanceof ZaloAbortedError) break;
        failures++;
        const ceiling = Math.min(this.opts.pollBackoff.maxMs, this.opts.pollBackoff.baseMs * 2 ** (failures - 1));
        const waitMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        const unauthorized = error instanceof ZaloApiError && error.isUnauthorized;
        this.log[unauthorized ? "error" : "warn"](
          { err: error instanceof Error ? error.message : String(error), failures, waitMs },
          unauthorized ? "Zalo rejected the bot token (check ZALO_BOT_TOKEN)" : "Zalo polling failed, backing off",
        );
        await sleep(waitMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  // ── Incoming updates (both modes) ────────────────────────────────────────────────────────────

  private key(...parts: string[]): string {
    return [this.opts.keyPrefix, ...parts].join(":");
  }

  private async accept(update: ZaloUpdate, source: "webhook" | "polling"): Promise<Outcome> {
    const message = update.message;
    if (!message || !update.event_name.startsWith("message.")) {
      this.log.debug({ event: update.event_name }, "Zalo event ignored");
      return "ignored";
    }
    if (message.from.is_bot) return "ignored";

    const id = `${update.event_name}:${message.message_id}`;
    let begun;
    try {
      // Polling has no re-delivery to wait for: a lease left by a crashed run is waited out.
      begun = source === "polling" ? await this.ledger.beginOrWait(id, undefined, this.abort.signal) : await this.ledger.begin(id);
    } catch (error) {
      // Neither Redis nor the database answers: never process unchecked; the webhook asks for a re-delivery.
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "Zalo: de-duplication unavailable");
      return "retry";
    }
    if (begun !== "new") {
      this.log.debug({ event: update.event_name, state: begun }, "Zalo re-delivery: already answered or in progress");
      return begun === "done" ? "duplicate" : "busy";
    }

    const release = this.ledger.hold(id);
    try {
      await this.handleMessage(update.event_name, message, id, source);
      release();
      await this.ledger.finish(id).catch((error: unknown) =>
        this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "Zalo: could not mark the event done"),
      );
      return "done";
    } catch (error) {
      release();
      const transient = isTransientZaloError(error) || error instanceof ServiceUnavailableError;
      this.log.error(
        { err: error instanceof Error ? error.message : String(error), chat: maskId(message.chat.id), transient },
        "Zalo: could not deliver the answer",
      );
      if (!transient) {
        await this.ledger.finish(id).catch(() => undefined);
        return "done";
      }
      // Forget the event so that a re-delivery gets another chance.
      await this.ledger.abandon(id).catch(() => undefined);
      return "retry";
    }
  }

  private async handleMessage(event: string, message: ZaloMessage, ledgerId: string, source: "webhook" | "polling"): Promise<void> {
    const chatId = message.chat.id;
    // Only text is read; images, stickers, voice and unsupported messages get the core's
    // "please type your question" (the pipeline answers emptyMessage to a turn without text).
    const text = event === "message.text.received" ? (message.text ?? "") : "";
    let payload: string | undefined;
    const choice = text ? parseChoice(text) : null;
    if (choice !== null) payload = await this.option(chatId, choice);

    void this.client.sendChatAction({ chat_id: chatId, action: "typing" }, { attempts: 1, timeoutMs: 3000 }).catch(() => undefined);
    const result = await this.core.pipeline.handle({
      channel: "zalo",
      userId: message.from.id,
      chatId,
      isGroup: message.chat.chat_type === "GROUP",
      displayName: message.from.display_name ?? message.from.name ?? undefined,
      text: payload ? undefined : text || undefined,
      payload,
      receivedAt: receivedAt(message.date),
      messageRef: message.message_id,
    });
    // The database is down: send nothing and leave the event unanswered, so Zalo delivers it again
    // (polling gets no re-delivery: there the citizen is told to try again).
    if (result.unavailable && source === "webhook") throw new ServiceUnavailableError(`${result.unavailable} unavailable`);
    await this.deliver(chatId, result.replies, "turn", undefined, ledgerId);
  }

  // ── Numbered options ─────────────────────────────────────────────────────────────────────────

  /** The payload of option `n` of the last answer in this chat, if there is one. */
  private async option(chatId: string, n: number): Promise<string | undefined> {
    try {
      const raw = await this.redis.get(this.key("options", chatId));
      if (!raw) return undefined;
      const options = optionsSchema.safeParse(JSON.parse(raw));
      return options.success ? options.data[n - 1] : undefined;
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "Zalo: numbered options unavailable");
      return undefined;
    }
  }

  private async rememberOptions(chatId: string, options: string[], mode: "turn" | "send"): Promise<void> {
    const key = this.key("options", chatId);
    try {
      if (options.length) await this.redis.set(key, JSON.stringify(options), "EX", this.opts.optionsTtlSec);
      // A conversation answer without options makes earlier numbers meaningless; an announcement
      // without options leaves them as they were.
      else if (mode === "turn") await this.redis.del(key);
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "Zalo: could not store numbered options");
    }
  }

  // ── Sending ──────────────────────────────────────────────────────────────────────────────────

  private async deliver(
    chatId: string,
    replies: Reply[],
    mode: "turn" | "send",
    call?: CallOptions,
    /** A turn's update: each message is claimed first, so a re-run of the turn sends none twice. */
    ledgerId?: string,
  ): Promise<SentMessage> {
    const hint = this.core.services.messages["zaloChooseByNumber"] ?? DEFAULT_OPTIONS_HINT;
    const rendered = renderReplies(replies, hint);
    // Stored before sending, so that a quick "1" already finds them.
    await this.rememberOptions(chatId, rendered.options, mode);
    let messageRef: string | undefined;
    for (const [n, text] of rendered.messages.entries()) {
      if (ledgerId && !(await this.ledger.claimReply(ledgerId, n))) continue;
      try {
        const sent = await this.client.sendMessage({ chat_id: chatId, text }, call);
        messageRef = sent.message_id ?? messageRef;
      } catch (error) {
        if (ledgerId) await this.ledger.releaseReply(ledgerId, n);
        throw error;
      }
    }
    return { messageRef };
  }

  async send(chatId: string, replies: Reply[]): Promise<SentMessage> {
    try {
      // Rate limits are not waited out here: the caller pauses its whole queue instead.
      return await this.deliver(chatId, replies, "send", { retryRateLimit: false });
    } catch (error) {
      if (error instanceof ZaloApiError) {
        if (error.isRateLimited) throw new RateLimitedError(error.retryAfterSec ?? this.opts.defaultRetryAfterSec);
        if (isUnreachable(error)) throw new UnreachableError(`Zalo chat ${maskId(chatId)} unreachable: ${error.message}`);
      }
      throw error;
    }
  }
}

/** Used by createChannels. */
export function createZaloAdapter(deps: ChannelDeps, options?: ZaloAdapterOptions): ZaloAdapter {
  return new ZaloAdapter(
    { config: deps.config, core: deps.core, redis: deps.queues.redis, log: deps.log },
    { leaseMs: deps.config.UPDATE_LEASE_SECONDS * 1000, ...options },
  );
}

/** The factory the channel registry loads (channels/registry.ts). */
export const createAdapter: ChannelFactory = (deps) => createZaloAdapter(deps);
export { qrLink } from "./link.ts";
