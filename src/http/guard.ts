// Authenticate before you count. Routes that take a secret (channel webhooks, the admin API) check it
// first, then:
// - an authenticated request counts against the per-IP limit of real traffic (HTTP_RATE_LIMIT_PER_MINUTE);
// - a request without the right secret gets a cheap 401 and counts against a separate, smaller per-IP
//   limit (429 beyond it), so strangers can never use up the budget of the platform's own calls; such
//   refusals are logged sampled (at most 5 lines a minute, then one line with the count), not one each.
// The per-IP counters live in memory, per process; request.ip honours TRUST_PROXY (see server.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../logging/logger.ts";

export interface GuardOptions {
  log: Logger;
  /** Authenticated requests per IP per minute. */
  perIpPerMinute: number;
  /** Requests without valid credentials per IP per minute (401s); beyond it 429. */
  unauthenticatedPerIpPerMinute: number;
  windowMs?: number;
}

/** A fixed-window counter per key, in memory. */
export class WindowCounter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Counts a hit; returns null when allowed, else the seconds until the window ends. */
  hit(key: string, now = Date.now()): number | null {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.counts = new Map();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= this.max) return null;
    return Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000));
  }
}

export class RequestGuard {
  private readonly authenticated: WindowCounter;
  private readonly unauthenticated: WindowCounter;
  private logWindowStart = 0;
  private logged = 0;
  private suppressed = 0;
  /** Refusals since start (for tests and metrics). */
  refusedTotal = 0;

  constructor(private readonly options: GuardOptions) {
    const windowMs = options.windowMs ?? 60_000;
    this.authenticated = new WindowCounter(options.perIpPerMinute, windowMs);
    this.unauthenticated = new WindowCounter(options.unauthenticatedPerIpPerMinute, windowMs);
  }

  /** After a successful secret check: false (and a 429 sent) when the caller's IP is over its limit. */
  admit(request: FastifyRequest, reply: FastifyReply): boolean {
    const retryAfter = this.authenticated.hit(request.ip);
    if (retryAfter === null) return true;
    void reply.code(429).header("retry-after", String(retryAfter)).send({ ok: false, error: "too many requests" });
    return false;
  }

  /** Without valid credentials: a 401 (or 429 past the unauthenticated limit), logged sampled. */
  refuse(request: FastifyRequest, reply: FastifyReply, what: string, headers: Record<string, string> = {}): FastifyReply {
    this.refusedTotal++;
    const now = Date.now();
    if (now - this.logWindowStart >= 60_000) {
      if (this.suppressed) this.options.log.warn({ refused: this.suppressed }, "more requests without valid credentials refused (not logged one by one)");
      this.logWindowStart = now;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged < 5) {
      this.logged++;
      this.options.log.warn({ ip: request.ip, what }, "request without valid credentials refused");
    } else this.suppressed++;
    const retryAfter = this.unauthenticated.hit(request.ip);
    if (retryAfter !== null) {
      return reply.code(429).header("retry-after", String(retryAfter)).send({ ok: false, error: "too many requests" });
    }
    return reply.code(401).headers(headers).send({ ok: false, error: "unauthorized" });
  }
}

const GUARD = Symbol.for("troly06.requestGuard");

/** Makes the guard reachable from every plugin scope of this server. */
export function installGuard(app: FastifyInstance, guard: RequestGuard): void {
  app.decorate(GUARD, guard);
}

/** The server's guard; scopes inherit the root's properties. Undefined on a bare server (tests). */
export function guardOf(app: FastifyInstance): RequestGuard | undefined {
  return (app as unknown as Record<symbol, RequestGuard | undefined>)[GUARD];
}

/** For a route's onRequest: refuse (cheaply, sampled) or count an authenticated request. */
export function checkCredentials(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  valid: boolean,
  what: string,
  fallbackLog: Logger,
  headers: Record<string, string> = {},
): FastifyReply | undefined {
  const guard = guardOf(app);
  if (!valid) {
    if (guard) return guard.refuse(request, reply, what, headers);
    fallbackLog.debug({ what }, "request without valid credentials refused");
    return reply.code(401).headers(headers).send({ ok: false, error: "unauthorized" });
  }
  if (guard && !guard.admit(request, reply)) return reply;
  return undefined;
}
