// The HTTP face of the app: health, readiness, Prometheus metrics, and the channels' webhooks.
import rateLimit from "@fastify/rate-limit";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { Logger } from "../logging/logger.ts";

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
  /** Requests per minute per IP on /webhooks/* and /api/*. */
  perIpPerMinute?: number;
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
  });

  // Bad JSON and similar client errors: a short 4xx, not the parser's internals.
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, "request failed");
    return reply.code(status).send({ error: status === 500 ? "internal_error" : "bad_request", message: status === 500 ? "internal error" : error.message });
  });

  // Per-IP limit as a root hook, so it runs before any route's own checks (auth, secrets): a flood of
  // unauthenticated requests is limited too. Health probes and metrics scrapes are never limited.
  await app.register(rateLimit, { global: false });
  app.addHook(
    "onRequest",
    app.rateLimit({
      max: options.perIpPerMinute ?? 1200,
      timeWindow: 60_000,
      allowList: (request) => !/^\/(webhooks|api)\//.test(request.url),
    }),
  );

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
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
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) });
  });

  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", options.metrics.contentType);
    return options.metrics.metrics();
  });

  for (const plugin of options.plugins ?? []) await app.register(async (scope) => plugin(scope));
  return app;
}
