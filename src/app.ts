// Composition root: wires config, database, Redis, queues, the core pipeline, channels and HTTP.
import type { FastifyInstance } from "fastify";
import type { Config } from "./config/env.ts";
import { openDatabase, type Database } from "./db/client.ts";
import { cacheDir, cachedBuild } from "./core/content-cache.ts";
import { conversationFile, loadConversationLexicon } from "./core/conversation.ts";
import { loadMessages, messagesFile } from "./core/messages.ts";
import { Pipeline } from "./core/pipeline.ts";
import { FallbackWindowCounter, MemoryWindowCounter, RedisWindowCounter, messageLimiter, type RateLimiter, type WindowCounter } from "./core/rate-limit.ts";
import { Router } from "./core/router.ts";
import type { Feature, FeatureHooks, FeatureRuntime } from "./core/feature.ts";
import type { CoreServices } from "./core/types.ts";
import { appFeatures, type FeatureOptions } from "./features/index.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import type { QueueSet } from "./queue/queues.ts";
import type { RedisHandle } from "./queue/redis.ts";
import { channelRegistry, type ChannelRegistry } from "./channels/registry.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { ChannelAdapter } from "./channels/types.ts";
import type { ChannelName } from "./core/types.ts";
import path from "node:path";

export interface Core {
  pipeline: Pipeline;
  router: Router;
  services: CoreServices;
  /** The features it was built from (the app starts their workers and serves their routes). */
  features: readonly Feature[];
}

/** The channel-agnostic bot: everything a channel adapter (or the CLI) needs to answer messages. */
export function createCore(deps: {
  config: Config;
  db: Database;
  log: Logger;
  counter?: WindowCounter;
  rateLimiter?: RateLimiter;
  outbox?: Outbox;
  queues?: QueueSet;
  /** Matcher thresholds other than the calibrated ones (tests of the answer policy). */
  faqOptions?: FeatureOptions["faqOptions"];
  /** The channels there are; default: the app's registry (tests add a fake channel). */
  registry?: ChannelRegistry;
  /** The features; default: the app's list (features/index.ts). */
  features?: readonly Feature[];
}): Core {
  const counter = deps.counter ?? new MemoryWindowCounter();
  // Content read from YAML (here and by the FAQ and address features) comes from DATA_DIR/cache while the
  // files and the code are unchanged: parsing it was a good part of a one-question `npm run ask`.
  const cache = cacheDir(deps.config);
  const services: CoreServices = {
    config: deps.config,
    prisma: deps.db.prisma,
    messages: cachedBuild(cache, { name: "messages", inputs: [messagesFile] }, () => loadMessages()),
    log: deps.log,
    registry: deps.registry ?? channelRegistry,
    counter,
    ...(deps.outbox ? { outbox: deps.outbox } : {}),
    ...(deps.queues ? { queues: deps.queues } : {}),
  };
  const conversation = cachedBuild(cache, { name: "conversation", inputs: [conversationFile] }, () => loadConversationLexicon());
  const router = new Router(async (ctx) => {
    ctx.outcome = { intentId: null, confidence: 0, fallback: true, suggestions: [] };
    return [{ text: ctx.services.messages.fallback }];
  }).typedChoices(conversation);
  const features = deps.features ?? appFeatures({ faqOptions: deps.faqOptions });
  const hooks: FeatureHooks = { startArguments: [] };
  for (const feature of features) feature.register?.(router.forFeature(feature.name), { services, conversation, hooks });
  const pipeline = new Pipeline({
    services,
    router,
    rateLimiter: deps.rateLimiter ?? messageLimiter(counter, deps.config.RATE_LIMIT_PER_MINUTE),
    conversation,
  });
  return { pipeline, router, services, features };
}

export function databaseOptions(config: Config) {
  return { databaseUrl: config.DATABASE_URL, pgliteDir: path.join(config.dataDir, "pglite"), officialUnits: config.UNIT_LIST === "official" };
}

export interface RunningApp {
  http: FastifyInstance;
  core: Core;
  db: Database;
  queues: QueueSet;
  redis: RedisHandle;
  channels: Map<ChannelName, ChannelAdapter>;
  outbox: Outbox;
  /** Base URL of the HTTP server. */
  url: string;
  stop(): Promise<void>;
}

/** Beyond SHUTDOWN_GRACE_MS (the running jobs' time), what closing the rest may take before it is cut short. */
export const STOP_SLACK_MS = 3_000;

/**
 * Runs the shutdown steps in order, each bounded by what is left of `budgetMs`: a step that hangs (Redis
 * or the database gone, a request that never ends) is logged and left behind. Once the budget is spent,
 * the remaining steps run side by side with a second each, so the child redis-server and the database
 * still get their stop signal. Whatever is down, stopping ends within the budget plus a second.
 */
export async function stopWithin(steps: Array<{ name: string; run: () => Promise<void> }>, budgetMs: number, log: Logger): Promise<void> {
  const deadline = Date.now() + budgetMs;
  const bounded = async (step: (typeof steps)[number], ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      step.run().then(
        () => "done" as const,
        (error: unknown) => {
          log.error({ err: error, step: step.name }, "error while stopping");
          return "failed" as const;
        },
      ),
      new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms))),
    ]);
    clearTimeout(timer);
    if (outcome === "late") log.warn({ step: step.name, ms }, "shutdown step did not finish in time; going on without it");
  };
  for (const [i, step] of steps.entries()) {
    const left = deadline - Date.now();
    if (left <= 0) {
      await Promise.all(steps.slice(i).map((rest) => bounded(rest, 1_000)));
      return;
    }
    await bounded(step, left);
  }
}

/**
 * What only the running app needs: HTTP, queues, Redis, the channels, the console. Loaded by startApp, not
 * on import, since the one-shot commands (`npm run ask`, admin, eval) import this file for createCore and
 * need none of it; the imports run while the database opens.
 */
async function serverModules() {
  const [server, board, consoleModule, admin, metrics, queueSet, redis, channels, outbox] = await Promise.all([
    import("./http/server.ts"),
    import("./http/bull-board.ts"),
    import("./console/routes.ts"),
    import("./http/admin-api.ts"),
    import("./http/metrics.ts"),
    import("./queue/queues.ts"),
    import("./queue/redis.ts"),
    import("./channels/index.ts"),
    import("./outbox/outbox.ts"),
  ]);
  return { ...server, ...board, ...consoleModule, ...admin, ...metrics, ...queueSet, ...redis, ...channels, ...outbox };
}

export async function startApp(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): Promise<RunningApp> {
  const cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  const onStop = (name: string, run: () => Promise<void>) => void cleanups.push({ name, run });
  const stopAll = () => stopWithin(cleanups.splice(0).reverse(), config.SHUTDOWN_GRACE_MS + STOP_SLACK_MS, log);
  try {
    // The database (open, migrations) in one branch; in the other the server's modules load and the
    // embedded redis-server starts (a child process to wait for). Whichever started is stopped again when
    // the other fails.
    const openMigrated = async () => {
      const db = await openDatabase(databaseOptions(config));
      try {
        const report = await db.migrate();
        log.info({ database: db.kind, applied: report.applied, upToDate: report.alreadyApplied.length }, "database ready");
        return db;
      } catch (error) {
        await db.close();
        throw error;
      }
    };
    const loadAndStartRedis = async () => {
      const modules = await serverModules();
      const redis = await modules.startRedis({ redisUrl: config.REDIS_URL, dataDir: config.dataDir, binary: config.REDIS_SERVER_BIN, log });
      return { modules, redis };
    };
    const [opened, started] = await Promise.allSettled([openMigrated(), loadAndStartRedis()]);
    if (opened.status === "fulfilled") onStop("database", () => opened.value.close());
    if (started.status === "fulfilled") onStop("redis-server", () => started.value.redis.stop());
    if (opened.status === "rejected") throw opened.reason;
    if (started.status === "rejected") throw started.reason;
    const db = opened.value;
    const { modules, redis } = started.value;
    const { buildHttpServer, bullBoard, consoleRoutes, adminApi, createMetrics, createQueueSet, createRedis, redisReady, createChannels, Outbox, outboxQueueName } = modules;

    const queues = createQueueSet(redis.url, log, config.QUEUE_PREFIX);
    onStop("queues", () => queues.close(config.SHUTDOWN_GRACE_MS));
    await redisReady(queues.redis);
    const readinessRedis = createRedis(redis.url, "client", log);
    onStop("readiness connection", async () => readinessRedis.disconnect());

    // The outbox is created before the channels it sends through (they need the core, the core needs it).
    const channelMap = new Map<ChannelName, ChannelAdapter>();
    const outbox = new Outbox({
      queues,
      prisma: db.prisma,
      log,
      channels: channelMap,
      rates: Object.fromEntries(Object.entries(config.sendRates).map(([channel, perSecond]) => [channel, { perSecond }])),
    });
    let warnedAt = 0;
    const counter = new FallbackWindowCounter(new RedisWindowCounter(queues.redis), new MemoryWindowCounter(), (error) => {
      if (Date.now() - warnedAt < 60_000) return; // one line a minute while Redis is away
      warnedAt = Date.now();
      log.warn({ err: error }, "Redis unavailable: rate limits counted in this process's memory");
    });
    const core = createCore({ config, db, log, counter, outbox, queues });
    const runtime: FeatureRuntime = { services: { ...core.services, outbox, queues }, channels: channelMap };

    // PROCESS_ROLE: a web process takes updates and serves HTTP; a worker runs the queues (and sends
    // through the adapters, which it builds but does not start).
    const web = config.PROCESS_ROLE !== "worker";
    const worker = config.PROCESS_ROLE !== "web";
    const channels = await createChannels({ config, core, queues, log });
    for (const channel of channels) channelMap.set(channel.name, channel);
    const metrics = createMetrics();
    const http = await buildHttpServer({
      log,
      metrics: metrics.registry,
      readiness: [
        { name: "database", check: () => db.ping() },
        { name: "redis", check: async () => void (await readinessRedis.ping()) },
      ],
      perIpPerMinute: config.HTTP_RATE_LIMIT_PER_MINUTE,
      unauthenticatedPerIpPerMinute: config.HTTP_UNAUTHENTICATED_PER_MINUTE,
      trustProxy: config.TRUST_PROXY,
      adminToken: config.ADMIN_API_TOKEN,
      plugins: !web ? [] : [
        ...channels.flatMap((c) => (c.routes ? [(app: FastifyInstance) => c.routes!(app)] : [])),
        consoleRoutes({ config, prisma: db.prisma, messages: core.services.messages, log, registry: core.services.registry, outbox, queues, redis: queues.redis }),
        adminApi(config.ADMIN_API_TOKEN, { prisma: db.prisma }, core.features.flatMap((f) => (f.api ? [f.api(runtime)] : []))),
        bullBoard(config.ADMIN_API_TOKEN, queues, [...core.features.flatMap((f) => f.queues ?? []), ...channels.map((c) => outboxQueueName(c.name))]),
      ],
    });
    // Registered last so it runs first: stop taking requests before anything else closes.
    await http.listen({ host: config.HOST, port: config.PORT });
    onStop("http", () => http.close());
    const address = http.server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    const url = `http://127.0.0.1:${port}`;

    if (web) {
      for (const channel of channels) {
        await channel.start();
        // Channels stop first on shutdown: no new updates while the rest closes.
        onStop(`channel ${channel.name}`, () => channel.stop());
      }
    }
    if (worker) {
      // Workers, schedules and outcome handlers, all registered before the outbox starts sending.
      for (const feature of core.features) await feature.start?.(runtime);
      outbox.start();
    }
    log.info(
      { url, role: config.PROCESS_ROLE, database: db.kind, redis: redis.embedded ? "embedded" : "external", channels: channels.map((c) => c.name) },
      "Trợ lý 06 is up",
    );
    return { http, core, db, queues, redis, url, channels: channelMap, outbox, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
