// Starts the real servers the integration tests use: one Redis and one PostgreSQL for the whole run.
// TEST_REDIS_URL / TEST_DATABASE_URL point the tests at existing servers instead.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startRedis } from "../src/queue/redis.ts";
import { startPostgres } from "./helpers/postgres-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    postgresUrl: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<void> | void> = [];
  let redisUrl = process.env.TEST_REDIS_URL;
  if (!redisUrl) {
    const dir = mkdtempSync(path.join(tmpdir(), "troly06-redis-"));
    const redis = await startRedis({ dataDir: dir });
    redisUrl = redis.url;
    stops.push(async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });
  }
  let postgresUrl = process.env.TEST_DATABASE_URL;
  if (!postgresUrl) {
    const pg = startPostgres(await freePort());
    postgresUrl = pg.url;
    stops.push(() => pg.stop());
  }
  project.provide("redisUrl", redisUrl);
  project.provide("postgresUrl", postgresUrl);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
