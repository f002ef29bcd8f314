// A small typed client for the Zalo Bot Platform HTTP API, on axios (no unofficial SDK).
// Calls go to `${apiBase}/bot${token}/${method}` as POST + JSON; every response is validated with zod.
// The token is part of every URL: it never appears in an error message or a log line (see `redact`).
import { setTimeout as sleep } from "node:timers/promises";
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import { z } from "zod";
import type { Logger } from "../../logging/logger.ts";

/** sendMessage `text` and sendPhoto `caption`: 1–2000 characters (platform docs). */
export const ZALO_TEXT_LIMIT = 2000;

// ── What the platform sends us (webhook body, getUpdates result) ─────────────────────────────────

const platformId = z.string().min(1).max(256);
const optionalText = z.string().nullish();

export const zaloMessageSchema = z.object({
  message_id: platformId,
  from: z.object({
    id: platformId,
    display_name: optionalText,
    name: optionalText,
    is_bot: z.boolean().nullish(),
  }),
  chat: z.object({ id: platformId, chat_type: optionalText }),
  /** Epoch milliseconds in the platform's samples. */
  date: z.number().nullish(),
  text: optionalText,
  photo: optionalText,
  photo_url: optionalText,
  caption: optionalText,
  sticker: optionalText,
  url: optionalText,
  voice_url: optionalText,
});

export const zaloUpdateSchema = z.object({
  event_name: z.string().min(1).max(100),
  message: zaloMessageSchema.nullish(),
});

export type ZaloMessage = z.infer<typeof zaloMessageSchema>;
export type ZaloUpdate = z.infer<typeof zaloUpdateSchema>;

/** A webhook body: the documented `{ ok: true, result: update }`, or a bare update (some senders). */
export const zaloWebhookBodySchema = z
  .union([z.object({ ok: z.boolean().optional(), result: zaloUpdateSchema }), zaloUpdateSchema])
  .transform((body): ZaloUpdate => ("result" in body ? body.result : body));

// ── API responses ────────────────────────────────────────────────────────────────────────────────

const envelopeSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), result: z.unknown().optional() }),
  z.object({
    ok: z.literal(false),
    error_code: z.number().int().optional(),
    description: z.string().optional(),
    // Not documented by Zalo; honoured when present (Telegram-style clients send it).
    parameters: z.object({ retry_after: z.number().nonnegative().optional() }).loose().optional(),
  }),
]);

const botInfoSchema = z.object({
  id: platformId,
  account_name: z.string().nullish(),
  name: z.string().nullish(),
  account_type: z.string().nullish(),
  can_join_groups: z.boolean().nullish(),
});
const webhookInfoSchema = z.object({ url: z.string().nullish(), updated_at: z.number().nullish() });
// setWebhook/deleteWebhook document `{ url, updated_at }`; older clients expect `true`.
const webhookChangeSchema = z.union([webhookInfoSchema, z.boolean()]);
// The docs show `{ message_id, date }`; some successful sends omit it, so only its type is checked.
const sentMessageSchema = z
  .object({ message_id: z.string().min(1).optional(), date: z.number().optional() })
  .nullish()
  .transform((v) => v ?? {});
// getUpdates answers one update per call (not an array, unlike Telegram); accept both, and nothing.
const updatesResultSchema = z.union([z.array(z.unknown()), z.record(z.string(), z.unknown()), z.null(), z.undefined()]);

export type ZaloBotInfo = z.infer<typeof botInfoSchema>;
export type ZaloWebhookInfo = z.infer<typeof webhookInfoSchema>;
export type ZaloSentMessage = z.output<typeof sentMessageSchema>;

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────

/** The platform answered `ok: false` (or an HTTP error status): carries its error_code and description. */
export class ZaloApiError extends Error {
  override name = "ZaloApiError";
  constructor(
    readonly method: string,
    readonly errorCode: number,
    readonly description: string,
    readonly httpStatus: number,
    /** Seconds to wait, when the platform said so (body `parameters.retry_after` or `Retry-After`). */
    readonly retryAfterSec?: number,
  ) {
    super(`Zalo ${method} failed: ${errorCode}${description ? ` ${description}` : ""}`);
  }
  /** 429 "Quota exceeded" in the platform's error table. */
  get isRateLimited(): boolean {
    return this.errorCode === 429 || this.httpStatus === 429;
  }
  /** 408: a long poll ended without updates. */
  get isPollTimeout(): boolean {
    return this.errorCode === 408;
  }
  get isUnauthorized(): boolean {
    return this.errorCode === 401 || this.httpStatus === 401;
  }
  get isServerError(): boolean {
    return this.httpStatus >= 500 || this.errorCode >= 500;
  }
}

/** No HTTP answer (connection refused/reset, DNS, timeout). */
export class ZaloNetworkError extends Error {
  override name = "ZaloNetworkError";
  constructor(
    readonly method: string,
    readonly code: string,
  ) {
    super(`Zalo ${method}: no answer from the API (${code})`);
  }
}

/** The answer did not have the documented shape. */
export class ZaloResponseError extends Error {
  override name = "ZaloResponseError";
  constructor(
    readonly method: string,
    readonly detail: string,
  ) {
    super(`Zalo ${method} returned an unexpected response: ${detail}`);
  }
}

/** The call was cancelled through its AbortSignal (shutdown). */
export class ZaloAbortedError extends Error {
  override name = "ZaloAbortedError";
  constructor(readonly method: string) {
    super(`Zalo ${method} was cancelled`);
  }
}

/** Worth trying again later: network trouble, server errors, rate limits. */
export function isTransientZaloError(error: unknown): boolean {
  return (
    error instanceof ZaloNetworkError ||
    (error instanceof ZaloApiError && (error.isServerError || error.isRateLimited))
  );
}

// ── Client ───────────────────────────────────────────────────────────────────────────────────────

export interface RetryPolicy {
  /** Total tries per call, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A rate limit asking for a longer wait than this is not retried but thrown. */
  maxRetryAfterMs: number;
}

export interface ZaloClientOptions {
  token: string;
  /** e.g. https://bot-api.zaloplatforms.com */
  apiBase: string;
  /** Per-request timeout (getUpdates adds its long-poll time). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  log?: Logger;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Overrides the policy's attempts for this call (1 = no retry). */
  attempts?: number;
  /** False: a rate limit is thrown at once (broadcasts pause their whole queue instead). */
  retryRateLimit?: boolean;
}

const defaultRetry: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 30_000 };

function formatIssues(error: z.ZodError, root = "body"): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${[root, ...issue.path.map(String)].join(".")}: ${issue.message}`)
    .join("; ");
}

function retryAfterHeader(response: AxiosResponse): number | undefined {
  const raw = response.headers["retry-after"];
  const seconds = typeof raw === "string" ? Number(raw) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

export class ZaloClient {
  private readonly http: AxiosInstance;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly secrets: string[];

  constructor(private readonly options: ZaloClientOptions) {
    if (!options.token) throw new Error("ZaloClient needs a bot token");
    this.retry = { ...defaultRetry, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.secrets = [...new Set([options.token, encodeURIComponent(options.token)])];
    this.http = axios.create({
      baseURL: `${options.apiBase.replace(/\/+$/, "")}/bot${options.token}/`,
      headers: { "content-type": "application/json", accept: "application/json" },
      // Every status is inspected here; axios must not throw errors that carry the URL (and token).
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: 5 * 1024 * 1024,
      responseType: "json",
      transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: true },
    });
  }

  /** Removes the token from any text (descriptions may echo the URL). */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join("<token>");
    return out;
  }

  getMe(options?: CallOptions): Promise<ZaloBotInfo> {
    return this.call("getMe", {}, botInfoSchema, options);
  }

  /**
   * Long polling: waits up to `timeout` seconds for the next update. Returns [] when none came (the
   * platform answers 408). Entries that fail validation are logged and skipped. Never retried here:
   * the polling loop owns the backoff.
   */
  async getUpdates(params: { timeout: number }, options: CallOptions = {}): Promise<ZaloUpdate[]> {
    let result: z.infer<typeof updatesResultSchema>;
    try {
      result = await this.call(
        "getUpdates",
        // The docs' parameter table types `timeout` as String (their JSON sample sends a number).
        { timeout: String(params.timeout) },
        updatesResultSchema,
        { attempts: 1, ...options, timeoutMs: options.timeoutMs ?? params.timeout * 1000 + this.timeoutMs },
      );
    } catch (error) {
      if (error instanceof ZaloApiError && error.isPollTimeout) return [];
      throw error;
    }
    const raw = result == null ? [] : Array.isArray(result) ? result : [result];
    const updates: ZaloUpdate[] = [];
    for (const entry of raw) {
      const parsed = zaloUpdateSchema.safeParse(entry);
      if (parsed.success) updates.push(parsed.data);
      else this.options.log?.warn({ issues: formatIssues(parsed.error, "update") }, "Zalo getUpdates: skipped a malformed update");
    }
    return updates;
  }

  setWebhook(params: { url: string; secret_token: string }, options?: CallOptions) {
    return this.call("setWebhook", params, webhookChangeSchema, options);
  }

  deleteWebhook(options?: CallOptions) {
    return this.call("deleteWebhook", {}, webhookChangeSchema, options);
  }

  getWebhookInfo(options?: CallOptions): Promise<ZaloWebhookInfo> {
    return this.call("getWebhookInfo", {}, webhookInfoSchema, options);
  }

  sendMessage(params: { chat_id: string; text: string }, options?: CallOptions): Promise<ZaloSentMessage> {
    if (params.text.length === 0 || params.text.length > ZALO_TEXT_LIMIT) {
      throw new RangeError(`sendMessage text must be 1–${ZALO_TEXT_LIMIT} characters (got ${params.text.length})`);
    }
    return this.call("sendMessage", params, sentMessageSchema, options);
  }

  /** `photo` is a public URL: the documented method takes no upload. */
  sendPhoto(params: { chat_id: string; photo: string; caption?: string }, options?: CallOptions): Promise<ZaloSentMessage> {
    if (params.caption !== undefined && params.caption.length > ZALO_TEXT_LIMIT) {
      throw new RangeError(`sendPhoto caption must be at most ${ZALO_TEXT_LIMIT} characters`);
    }
    return this.call("sendPhoto", params, sentMessageSchema, options);
  }

  /** Only "typing" is available; "upload_photo" is announced as coming soon. */
  async sendChatAction(params: { chat_id: string; action: "typing" }, options?: CallOptions): Promise<void> {
    await this.call("sendChatAction", params, z.unknown(), options);
  }

  /** One API call with bounded retries (exponential backoff with full jitter). */
  async call<S extends z.ZodType>(
    method: string,
    params: Record<string, unknown>,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.output<S>> {
    const attempts = Math.max(1, options.attempts ?? this.retry.attempts);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, params, schema, options);
      } catch (error) {
        const waitMs = attempt < attempts && !options.signal?.aborted ? this.retryDelay(error, attempt, options) : null;
        if (waitMs === null) throw error;
        this.options.log?.warn(
          { method, attempt, waitMs, err: error instanceof Error ? error.message : String(error) },
          "Zalo API call failed, retrying",
        );
        try {
          await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : undefined);
        } catch {
          throw new ZaloAbortedError(method);
        }
      }
    }
  }

  private retryDelay(error: unknown, attempt: number, options: CallOptions): number | null {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    const backoff = Math.round(Math.random() * ceiling);
    if (error instanceof ZaloNetworkError) return backoff;
    if (!(error instanceof ZaloApiError)) return null;
    if (error.isRateLimited) {
      if (options.retryRateLimit === false) return null;
      const asked = (error.retryAfterSec ?? 0) * 1000;
      if (asked > this.retry.maxRetryAfterMs) return null;
      return Math.max(asked, backoff);
    }
    return error.isServerError ? backoff : null;
  }

  private async once<S extends z.ZodType>(
    method: string,
    params: Record<string, unknown>,
    schema: S,
    options: CallOptions,
  ): Promise<z.output<S>> {
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.post(method, params, {
        timeout: options.timeoutMs ?? this.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      // Never wrap or keep the axios error: its config holds the URL, token included.
      if (axios.isCancel(error) || options.signal?.aborted) throw new ZaloAbortedError(method);
      const code = axios.isAxiosError(error) && error.code ? error.code : "ERR_NETWORK";
      throw new ZaloNetworkError(method, code);
    }
    const status = response.status;
    const envelope = envelopeSchema.safeParse(response.data);
    if (envelope.success && !envelope.data.ok) {
      const failure = envelope.data;
      throw new ZaloApiError(
        method,
        failure.error_code ?? status,
        this.redact(failure.description ?? `HTTP ${status}`),
        status,
        failure.parameters?.retry_after ?? retryAfterHeader(response),
      );
    }
    if (status >= 400) {
      // An error page without the platform's envelope (a proxy, a gateway): the status is all we have.
      throw new ZaloApiError(method, status, `HTTP ${status}`, status, retryAfterHeader(response));
    }
    if (!envelope.success) throw new ZaloResponseError(method, `HTTP ${status}: ${formatIssues(envelope.error)}`);
    const result = schema.safeParse(envelope.data.ok ? envelope.data.result : undefined);
    if (!result.success) throw new ZaloResponseError(method, formatIssues(result.error, "result"));
    return result.data;
  }
}
