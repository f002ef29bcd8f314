// Redis for BullMQ: REDIS_URL when set; otherwise a local redis-server child process with its data
// (AOF) under DATA_DIR, `maxmemory-policy noeviction`, stopped when the app stops.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../logging/logger.ts";

export interface RedisHandle {
  url: string;
  /** True when we started redis-server ourselves. */
  embedded: boolean;
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
}

export const REDIS_INSTALL_HINT =
  "Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL=redis://HOST:6379 to use a running Redis.";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A redis-server left behind by a crashed run would hold the AOF files: stop it first. */
async function stopStaleServer(pidFile: string): Promise<void> {
  const pid = Number.parseInt(await readFile(pidFile, "utf8").catch(() => ""), 10);
  if (!pid) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (cmdline.includes("redis-server")) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 50 && (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")); i++) await sleep(100);
  }
  await rm(pidFile, { force: true });
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new RedisUnavailableError(`redis-server exited with code ${child.exitCode} during start-up.`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on("error", () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch {
      // not up yet
    } finally {
      client.disconnect();
    }
    await sleep(50);
  }
  throw new RedisUnavailableError(`redis-server did not answer within ${timeoutMs} ms.`);
}

export interface StartRedisOptions {
  redisUrl?: string | undefined;
  dataDir: string;
  binary?: string;
  log?: Logger;
}

export async function startRedis(options: StartRedisOptions): Promise<RedisHandle> {
  if (options.redisUrl) return { url: options.redisUrl, embedded: false, stop: async () => {} };

  const dir = path.join(options.dataDir, "redis");
  await mkdir(dir, { recursive: true });
  const pidFile = path.join(dir, "redis.pid");
  await stopStaleServer(pidFile);
  const port = await freePort();
  const args = [
    "--bind", "127.0.0.1",
    "--port", String(port),
    "--dir", dir,
    "--pidfile", pidFile,
    "--appendonly", "yes",
    "--appendfsync", "everysec",
    "--maxmemory-policy", "noeviction",
    "--save", "",
    "--daemonize", "no",
    "--loglevel", "warning",
  ];
  const binary = options.binary ?? "redis-server";
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new RedisUnavailableError(`REDIS_URL is not set and "${binary}" was not found. ${REDIS_INSTALL_HINT}`)
          : error,
      ),
    ),
  );
  child.stderr?.on("data", (chunk: Buffer) => options.log?.warn({ redis: chunk.toString().trim() }, "redis-server"));
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([waitForPing(url, child, 10_000), spawnError]);
  options.log?.info({ port, dir }, "started local redis-server");

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(killTimer);
        resolve();
      });
      child.kill("SIGTERM");
    }));
  return { url, embedded: true, stop };
}

/** Connection options for the three ways the app talks to Redis. */
export function redisOptions(role: "worker" | "producer" | "client"): RedisOptions {
  switch (role) {
    case "worker":
      // BullMQ workers block on Redis and must retry forever.
      return { maxRetriesPerRequest: null };
    case "producer":
      // Fail fast instead of buffering jobs in memory while Redis is down.
      return { maxRetriesPerRequest: 1, enableOfflineQueue: false };
    case "client":
      return { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  }
}

/** Resolves once the connection is ready (commands on a fail-fast connection need that). */
export async function redisReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function createRedis(url: string, role: "worker" | "producer" | "client", log?: Logger): Redis {
  const client = new Redis(url, redisOptions(role));
  // Without a listener ioredis prints every reconnect error; readiness reporting covers outages.
  client.on("error", (error) => log?.debug({ err: error.message, role }, "redis connection error"));
  return client;
}
