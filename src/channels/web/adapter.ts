// The web channel: a chat page (GET /chat), its JSON API and a widget script (GET /widget.js), through the
// same core as Telegram and Zalo. A visitor is an anonymous session (signed HttpOnly cookie); what the
// session has seen is kept in Redis (transcript.ts), so a page load shows it again and send() — officers'
// answers from handoff, announcements — queues messages for the page, which receives them by server-sent
// events (GET /chat/api/events) or, without EventSource, by asking /chat/api/history again.
//
// Safe by default: a strict Content-Security-Policy (no inline code, nothing from other hosts), CSRF
// checked on every POST (a token bound to the session, sent as a header, plus the Origin), zod on every
// body, per-IP limits here and the per-user limit of the pipeline, texts redacted before they are stored.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { gzipSync } from "node:zlib";
import { z } from "zod";
import type { Config } from "../../config/env.ts";
import type { ChannelAdapter, ChannelDeps, Core, Reply, SentMessage } from "../../core/ports.ts";
import { UnreachableError } from "../../core/ports.ts";
import { eraseConversations } from "../../features/access/service.ts";
import { START_ARGUMENT_PREFIX, SUBSCRIBE_PAYLOAD, unitLabel } from "../../features/subscription.ts";
import type { Logger } from "../../logging/logger.ts";
import { SampledLog } from "../../logging/sampled.ts";
import { MoveLinks, type MoveOption } from "./move.ts";
import { chatPage, loadAssets, type StaticFile } from "./page.ts";
import { clearedSessionCookie, isSessionId, loadSessionSecret, readCookie, SESSION_COOKIE, sessionCookie, SessionSigner } from "./session.ts";
import { toWebReply, Transcript, type Entry } from "./transcript.ts";

export const CSRF_HEADER = "x-csrf-token";

const messageBodySchema = z
  .strictObject({
    text: z.string().max(4000).optional(),
    payload: z.string().min(1).max(64).optional(),
    /** The pressed button's label, shown as what the person said. */
    label: z.string().max(200).optional(),
    /** First visit: the greeting, and the unit of the QR code or widget (subscribes to its announcements). */
    start: z.strictObject({ unit: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional() }).optional(),
  })
  .refine((b) => [b.text !== undefined, b.payload !== undefined, b.start !== undefined].filter(Boolean).length === 1, {
    message: "expected exactly one of text, payload, start",
  });

const afterSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).catch(0);

export interface WebAdapterDeps {
  config: Config;
  core: Core;
  redis: Redis;
  log: Logger;
}

export interface WebAdapterOptions {
  keyPrefix?: string;
  /** Entries of a session kept for the page. */
  maxEntries?: number;
  /** Open event streams per session, and in all. */
  streamsPerSession?: number;
  maxStreams?: number;
  /** How often an open stream sends a keep-alive and looks for entries (a fallback: other instances' entries are announced through Redis). */
  streamPollMs?: number;
}

/** Fixed one-minute windows per key, in memory (one instance; the pipeline's per-user limit is in Redis). */
class MinuteCounter {
  private windowStart = 0;
  private counts = new Map<string, number>();
  constructor(private readonly max: number) {}
  hit(key: string, now = Date.now()): boolean {
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.counts = new Map();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n <= this.max;
  }
}

function securityHeaders(reply: FastifyReply, frameAncestors: string, styleHash: string): FastifyReply {
  return reply
    .header(
      "content-security-policy",
      [
        "default-src 'none'",
        "script-src 'self'",
        `style-src 'self' '${styleHash}'`,
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        `frame-ancestors ${frameAncestors}`,
      ].join("; "),
    )
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("permissions-policy", "camera=(), geolocation=(), microphone=(self), payment=()")
    .header("cross-origin-opener-policy", "same-origin");
}

export interface WebStatus {
  unit: { code: string; label: string; subscribePayload: string } | null;
  subscribed: boolean;
  move: MoveOption[];
}

export class WebAdapter implements ChannelAdapter {
  readonly name = "web" as const;
  readonly transcript: Transcript;
  private readonly config: Config;
  private readonly core: Core;
  private readonly log: Logger;
  private readonly signer: SessionSigner;
  private readonly assets = loadAssets();
  private readonly perIp: MinuteCounter;
  private readonly opts: Required<Omit<WebAdapterOptions, "keyPrefix" | "maxEntries">>;
  private readonly streams = new Map<string, Set<FastifyReply>>();
  private streamCount = 0;
  private readonly closers = new Set<() => void>();
  private readonly moveLinks: MoveLinks;

  constructor(deps: WebAdapterDeps, options: WebAdapterOptions = {}) {
    this.config = deps.config;
    this.core = deps.core;
    this.log = deps.log.child({ channel: "web" });
    this.signer = new SessionSigner(loadSessionSecret(deps.config.WEB_SESSION_SECRET, deps.config.dataDir));
    this.moveLinks = new MoveLinks(deps.config, this.log);
    this.perIp = new MinuteCounter(deps.config.WEB_RATE_LIMIT_PER_IP_MINUTE);
    this.transcript = new Transcript(deps.redis, {
      keyPrefix: options.keyPrefix ?? "troly06:web",
      maxEntries: options.maxEntries ?? 100,
      ttlSec: deps.config.CONVERSATION_RETENTION_DAYS * 86_400,
    });
    this.opts = {
      streamsPerSession: options.streamsPerSession ?? 4,
      maxStreams: options.maxStreams ?? 5000,
      streamPollMs: options.streamPollMs ?? 15_000,
    };
  }

  private get secure(): boolean {
    return (this.config.PUBLIC_URL ?? "").startsWith("https://");
  }

  private get cookieMaxAge(): number {
    return this.config.CONVERSATION_RETENTION_DAYS * 86_400;
  }

  private session(request: FastifyRequest): string | null {
    return this.signer.verify(readCookie(request.headers.cookie, SESSION_COOKIE));
  }

  private limited(request: FastifyRequest, reply: FastifyReply): boolean {
    if (this.perIp.hit(request.ip)) return false;
    void reply.code(429).header("retry-after", "60").send({ error: "rate_limited", message: "Bạn gửi nhanh quá, xin đợi một phút rồi thử lại." });
    return true;
  }

  /** The request comes from our own page: same origin (when the browser says), and the session's token. */
  private sameOrigin(request: FastifyRequest): boolean {
    if (request.headers["sec-fetch-site"] === "cross-site") return false;
    const origin = request.headers.origin;
    if (origin === undefined) return true; // the token below still has to match
    let given: URL;
    try {
      given = new URL(origin);
    } catch {
      return false;
    }
    if (this.config.PUBLIC_URL && given.origin === new URL(this.config.PUBLIC_URL).origin) return true;
    return given.host === request.headers.host;
  }

  /** The session of a state-changing request, or null after answering 403. */
  private guarded(request: FastifyRequest, reply: FastifyReply): string | null {
    const sid = this.session(request);
    const token = request.headers[CSRF_HEADER];
    if (!sid || !this.sameOrigin(request) || !this.signer.checkCsrf(sid, typeof token === "string" ? token : undefined)) {
      void reply.code(403).send({ error: "forbidden", message: "Phiên trò chuyện đã hết hạn, xin tải lại trang." });
      return null;
    }
    return sid;
  }

  private serveStatic(request: FastifyRequest, reply: FastifyReply, file: StaticFile, cache: string) {
    const gzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
    reply.header("content-type", file.type).header("cache-control", cache).header("x-content-type-options", "nosniff").header("vary", "accept-encoding");
    if (gzip) reply.header("content-encoding", "gzip");
    return reply.send(gzip ? file.gzip : file.body);
  }

  // ── Routes ───────────────────────────────────────────────────────────────────────────────────

  routes(app: FastifyInstance): void {
    const frameAncestors = this.config.WEB_FRAME_ANCESTORS;

    app.get("/chat", async (request, reply) => {
      if (this.limited(request, reply)) return reply;
      let sid = this.session(request);
      if (!sid) {
        sid = this.signer.newSessionId();
        reply.header("set-cookie", sessionCookie(this.signer.sign(sid), { secure: this.secure, maxAgeSec: this.cookieMaxAge }));
      }
      securityHeaders(reply, frameAncestors, this.assets["chat.css"].cspHash).header("cache-control", "no-store").header("vary", "accept-encoding").type("text/html; charset=utf-8");
      const html = chatPage({ csrf: this.signer.csrfToken(sid), jsHash: this.assets["chat.js"].hash, css: this.assets["chat.css"].body.toString("utf8") });
      if (!/\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""))) return html;
      // 5 kB compress in well under a millisecond; the page is per session (its CSRF token), so not cached.
      return reply.header("content-encoding", "gzip").send(gzipSync(html));
    });

    app.get("/chat/static/chat.js", (request, reply) => this.serveStatic(request, reply, this.assets["chat.js"], "public, max-age=86400"));
    app.get("/widget.js", (request, reply) => {
      // Loaded by portals on other sites with a plain <script> tag.
      reply.header("cross-origin-resource-policy", "cross-origin");
      return this.serveStatic(request, reply, this.assets["widget.js"], "public, max-age=3600");
    });

    app.get("/chat/api/history", async (request, reply) => {
      if (this.limited(request, reply)) return reply;
      const sid = this.session(request);
      if (!sid) return reply.code(403).send({ error: "forbidden", message: "Phiên trò chuyện đã hết hạn, xin tải lại trang." });
      const after = afterSchema.parse((request.query as Record<string, unknown>)["after"]);
      reply.header("cache-control", "no-store");
      return { entries: await this.transcript.after(sid, after) };
    });

    app.get("/chat/api/status", async (request, reply) => {
      if (this.limited(request, reply)) return reply;
      const sid = this.session(request);
      if (!sid) return reply.code(403).send({ error: "forbidden", message: "Phiên trò chuyện đã hết hạn, xin tải lại trang." });
      reply.header("cache-control", "no-store");
      return this.status(sid);
    });

    app.post("/chat/api/message", { bodyLimit: 16 * 1024 }, async (request, reply) => {
      if (this.limited(request, reply)) return reply;
      const sid = this.guarded(request, reply);
      if (!sid) return reply;
      const parsed = messageBodySchema.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ error: "bad_request", message: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ") });
      }
      reply.header("cache-control", "no-store");
      return { entries: await this.turn(sid, parsed.data) };
    });

    app.post("/chat/api/reset", { bodyLimit: 1024 }, async (request, reply) => {
      if (this.limited(request, reply)) return reply;
      const sid = this.guarded(request, reply);
      if (!sid) return reply;
      await this.forget(sid);
      reply.header("set-cookie", clearedSessionCookie(this.secure));
      return { ok: true };
    });

    app.get("/chat/api/events", (request, reply) => this.stream(request, reply));
  }

  // ── A turn ───────────────────────────────────────────────────────────────────────────────────

  private async turn(sid: string, body: z.infer<typeof messageBodySchema>): Promise<Entry[]> {
    let text = body.text;
    let said: { from: "user"; text: string; at: number } | undefined;
    if (body.start) {
      text = body.start.unit ? `/start ${START_ARGUMENT_PREFIX}${body.start.unit}` : "/start";
    } else {
      said = { from: "user", at: Date.now(), text: body.payload !== undefined ? (body.label ?? "").trim() || "(đã chọn)" : (body.text ?? "") };
    }
    const result = await this.core.pipeline.handle({
      channel: "web",
      userId: sid,
      chatId: sid,
      text: body.payload !== undefined ? undefined : text,
      payload: body.payload,
      receivedAt: new Date(),
    });
    // What was said and the answer, stored together after the turn (one round trip to Redis).
    const answer = { from: "bot" as const, replies: result.replies.map((r) => toWebReply(r, true)) };
    return this.transcript.appendAll(sid, said ? [said, answer] : [answer]);
  }

  /**
   * What the page's «Nhận thông báo» and «Chuyển sang Zalo / Telegram» controls offer: the session's unit
   * (from the QR code, the widget or /dangky), whether it receives the unit's announcements (and the button
   * payload that subscribes), and the links to the other channels carrying that unit.
   */
  private async status(sid: string): Promise<WebStatus> {
    const { prisma } = this.core.services;
    const identity = await prisma.channelIdentity.findUnique({
      where: { channel_externalUserId: { channel: "WEB", externalUserId: sid } },
      select: { subscription: { select: { optedOutAt: true, unit: { select: { code: true, name: true, level: true } } } } },
    });
    const subscription = identity?.subscription ?? null;
    const unit = subscription ? { code: subscription.unit.code, label: unitLabel(subscription.unit), subscribePayload: `${SUBSCRIBE_PAYLOAD}:${subscription.unit.code}` } : null;
    return { unit, subscribed: !!subscription && !subscription.optedOutAt, move: await this.moveLinks.options(unit?.code ?? null) };
  }

  /** "Xóa cuộc trò chuyện": the transcript, and what the database keeps of this session (as /xoadulieu). */
  private async forget(sid: string): Promise<void> {
    await this.transcript.forget(sid);
    const { prisma } = this.core.services;
    const identity = await prisma.channelIdentity.findUnique({ where: { channel_externalUserId: { channel: "WEB", externalUserId: sid } } });
    if (identity) await eraseConversations(prisma, identity.personId, "web");
    for (const stream of this.streams.get(sid) ?? []) stream.raw.end();
  }

  // ── Server-sent events ───────────────────────────────────────────────────────────────────────

  private stream(request: FastifyRequest, reply: FastifyReply) {
    const sid = this.session(request);
    if (!sid) return reply.code(403).send({ error: "forbidden" });
    const open = this.streams.get(sid) ?? new Set<FastifyReply>();
    if (open.size >= this.opts.streamsPerSession || this.streamCount >= this.opts.maxStreams) {
      return reply.code(429).header("retry-after", "30").send({ error: "too_many_streams" });
    }
    const header = request.headers["last-event-id"];
    let last = afterSchema.parse(typeof header === "string" && header ? header : (request.query as Record<string, unknown>)["after"]);

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    });
    raw.write("retry: 3000\n\n");
    open.add(reply);
    this.streams.set(sid, open);
    this.streamCount++;

    let busy = false;
    let again = false;
    const flush = async () => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          for (const entry of await this.transcript.after(sid, last)) {
            raw.write(`id: ${entry.id}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`);
            last = entry.id;
          }
        } while (again && !raw.destroyed);
      } catch (error) {
        this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "web: could not read the transcript");
      } finally {
        busy = false;
      }
    };
    // Entries stored by this process come with the event: written as they are when they follow the last
    // one sent (no read back from Redis); otherwise (another instance's notice, a gap) read what is new.
    const onEntry = (stored?: Entry[]) => {
      if (!busy && stored?.length && stored[0]!.id === last + 1) {
        for (const entry of stored) raw.write(`id: ${entry.id}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`);
        last = stored.at(-1)!.id;
        return;
      }
      void flush();
    };
    this.transcript.events.on(`entry:${sid}`, onEntry);
    // A keep-alive for proxies, and a fallback should a notice from another instance be lost.
    const timer = setInterval(() => {
      raw.write(": ping\n\n");
      void flush();
    }, this.opts.streamPollMs);
    const close = () => {
      clearInterval(timer);
      this.transcript.events.off(`entry:${sid}`, onEntry);
      if (open.delete(reply)) this.streamCount--;
      if (!open.size) this.streams.delete(sid);
      this.closers.delete(end);
    };
    const end = () => {
      close();
      raw.end();
    };
    this.closers.add(end);
    raw.on("close", close);
    void flush();
  }

  // ── Lifecycle and sending ────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    // The subscriber reports every reconnect try while Redis is away: sampled.
    const sampled = new SampledLog(this.log);
    await this.transcript.listen((error) => sampled.warn("notices", { err: error.message }, "web: entry notices from other instances unavailable"));
    this.log.info("web chat on /chat, widget on /widget.js");
  }

  async stop(): Promise<void> {
    // Open event streams would keep the HTTP server from closing.
    for (const end of [...this.closers]) end();
    await this.transcript.close();
  }

  /** Queues replies for the session's page (an officer's answer, an announcement). */
  async send(chatId: string, replies: Reply[]): Promise<SentMessage> {
    if (!isSessionId(chatId)) throw new UnreachableError("not a web session id");
    const entry = await this.transcript.append(chatId, { from: "bot", push: true, replies: replies.map((r) => toWebReply(r, true)) });
    return { messageRef: String(entry.id) };
  }
}

export function createWebAdapter(deps: ChannelDeps, options?: WebAdapterOptions): WebAdapter {
  return new WebAdapter({ config: deps.config, core: deps.core, redis: deps.queues.redis, log: deps.log }, options);
}

/** What the channel registry loads: the factory, and the link of a unit's QR code. */
export const createAdapter = createWebAdapter;
export { qrLink } from "./link.ts";
