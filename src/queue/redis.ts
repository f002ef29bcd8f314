// Redis for BullMQ: REDIS_URL when set; otherwise a local redis-server child process with its data
// (AOF) under DATA_DIR, `maxmemory-policy noeviction`, restarted when it dies, stopped when the app stops.
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
  /** The embedded child's process id, while one runs. */
  pid?(): number | undefined;
  /** How many times the embedded child was restarted after dying. */
  restarts?(): number;
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
  /** Restart delays of the supervised child: the first one, doubled after each failed try, up to the cap. */
  restartBackoff?: { baseMs: number; maxMs: number };
}

function redisArgs(port: number, dir: string, pidFile: string): string[] {
  return [
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
}

/** Spawns redis-server and waits until it answers PING (or fails). */
async function spawnRedis(binary: string, args: string[], url: string, log: Logger | undefined, onSpawn?: (child: ChildProcess) => void): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  onSpawn?.(child);
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new RedisUnavailableError(`REDIS_URL is not set and "${binary}" was not found. ${REDIS_INSTALL_HINT}`)
          : error,
      ),
    ),
  );
  child.stderr?.on("data", (chunk: Buffer) => log?.warn({ redis: chunk.toString().trim() }, "redis-server"));
  try {
    await Promise.race([waitForPing(url, child, 10_000), spawnError]);
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw error;
  }
  return child;
}

/**
 * REDIS_URL, or a supervised local redis-server: when the child dies it is started again on the same port
 * and data directory (AOF), after 250 ms, then doubling delays up to 30 s while restarts keep failing
 * (reset once it has run for a minute). ioredis connections reconnect to it by themselves.
 */
export async function startRedis(options: StartRedisOptions): Promise<RedisHandle> {
  if (options.redisUrl) return { url: options.redisUrl, embedded: false, stop: async () => {} };

  const dir = path.join(options.dataDir, "redis");
  await mkdir(dir, { recursive: true });
  const pidFile = path.join(dir, "redis.pid");
  await stopStaleServer(pidFile);
  const port = await freePort();
  const args = redisArgs(port, dir, pidFile);
  const binary = options.binary ?? "redis-server";
  const url = `redis://127.0.0.1:${port}`;
  const log = options.log;
  const backoff = options.restartBackoff ?? { baseMs: 250, maxMs: 30_000 };

  let child: ChildProcess | undefined = await spawnRedis(binary, args, url, log);
  log?.info({ port, dir }, "started local redis-server");
  let stopping = false;
  let restarts = 0;
  let failures = 0;
  let startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let spawning: ChildProcess | undefined;

  const supervise = (proc: ChildProcess) => {
    proc.once("exit", (code, signal) => {
      if (stopping || child !== proc) return;
      child = undefined;
      if (Date.now() - startedAt > 60_000) failures = 0;
      log?.error({ code, signal }, "local redis-server died; restarting it");
      scheduleRestart();
    });
  };
  const scheduleRestart = () => {
    const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** failures);
    timer = setTimeout(() => {
      timer = undefined;
      void (async () => {
        try {
          const proc = await spawnRedis(binary, args, url, log, (p) => (spawning = p));
          if (stopping) {
            proc.kill("SIGKILL");
            return;
          }
          child = proc;
          startedAt = Date.now();
          restarts++;
          supervise(proc);
          log?.info({ port, restarts }, "local redis-server restarted");
        } catch (error) {
          if (stopping) return;
          failures++;
          log?.error({ err: error instanceof Error ? error.message : String(error), failures }, "could not restart the local redis-server; trying again");
          scheduleRestart();
        } finally {
          spawning = undefined;
        }
      })();
    }, delay);
    timer.unref();
  };
  supervise(child);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      clearTimeout(timer);
      // A restart under way is killed; its start-up then fails and schedules nothing (stopping).
      if (spawning && spawning.exitCode === null) spawning.kill("SIGKILL");
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const killTimer = setTimeout(() => proc.kill("SIGKILL"), 5000);
        proc.once("exit", () => {
          clearTimeout(killTimer);
          resolve();
        });
        proc.kill("SIGTERM");
      });
    })());
  return { url, embedded: true, stop, pid: () => child?.pid, restarts: () => restarts };
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
