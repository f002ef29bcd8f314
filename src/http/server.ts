// The HTTP face of the app: health, readiness, Prometheus metrics, and the channels' webhooks.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Registry } from "prom-client";
import type { Logger } from "../logging/logger.ts";
import { installGuard, RequestGuard } from "./guard.ts";

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface HttpServerOptions {
  log: Logger;
  metrics: Registry;
  readiness: ReadinessCheck[];
  /** Plugins that add routes (channel webhooks, admin API). */
  plugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
  /** Per-check timeout for /readyz. */
  checkTimeoutMs?: number;
  /** Authenticated requests per minute per IP on /webhooks/*, /api/* and the queue dashboard. */
  perIpPerMinute?: number;
  /** Requests without valid credentials per minute per IP (cheap 401s; 429 beyond). */
  unauthenticatedPerIpPerMinute?: number;
  /** Shown the details of /readyz (which check failed, and why); everyone else sees a bare status. */
  adminToken?: string | undefined;
  /** Reverse proxies (IPs, CIDRs) whose X-Forwarded-For gives the client's address; empty: none. */
  trustProxy?: string[];
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function buildHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    // One log line per chat turn is enough; per-request lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
    return503OnClosing: true,
    // Behind a proxy every caller would share its address: per-IP limits need the forwarded one.
    ...(options.trustProxy?.length ? { trustProxy: options.trustProxy } : {}),
  });

  // Bad JSON and similar client errors: a short 4xx, not the parser's internals.
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, "request failed");
    return reply.code(status).send({ error: status === 500 ? "internal_error" : "bad_request", message: status === 500 ? "internal error" : error.message });
  });

  // Authenticate before you count (guard.ts): the routes that take a secret check it first; callers
  // without it are refused under their own per-IP limit and never use up the platform's. Health probes and
  // metrics scrapes are never limited.
  installGuard(
    app,
    new RequestGuard({
      log: options.log,
      perIpPerMinute: options.perIpPerMinute ?? 1200,
      unauthenticatedPerIpPerMinute: options.unauthenticatedPerIpPerMinute ?? 60,
    }),
  );

  app.get("/healthz", async () => ({ status: "ok" }));

  const isAdmin = (header: string | undefined): boolean => {
    const token = options.adminToken;
    const match = /^bearer[ \t]+(\S.*)$/i.exec(header ?? "");
    if (!token || !match) return false;
    const hash = (s: string) => createHash("sha256").update(s).digest();
    return timingSafeEqual(hash(match[1]!.trim()), hash(token));
  };

  // A bare status for probes and strangers; what is down, and the error text (hosts, ports), only to the
  // admin token.
  app.get("/readyz", async (request, reply) => {
    const results = await Promise.all(
      options.readiness.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), options.checkTimeoutMs ?? 1500);
          return [name, "ok"] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : "failed"] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === "ok");
    const status = ready ? "ready" : "not ready";
    if (!isAdmin(request.headers.authorization)) return reply.code(ready ? 200 : 503).send({ status });
    return reply.code(ready ? 200 : 503).send({ status, checks: Object.fromEntries(results) });
  });

  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", options.metrics.contentType);
    return options.metrics.metrics();
  });

  for (const plugin of options.plugins ?? []) await app.register(async (scope) => plugin(scope));
  return app;
}
