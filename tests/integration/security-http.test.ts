// The app's HTTP face under hostile input: bearer auth, per-IP limits, malformed bodies, a fuzz run.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startApp, type RunningApp } from "../../src/app.ts";
import { RedisWindowCounter, Limiter } from "../../src/core/rate-limit.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createRedis, redisReady } from "../../src/queue/redis.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";

const TOKEN = "test-admin-token-0123456789abcdef";

describe("HTTP security", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-sec-"));
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(
      testConfig({
        DATA_DIR: dir,
        REDIS_URL: inject("redisUrl"),
        DATABASE_URL: await createPostgresDatabase(),
        ADMIN_API_TOKEN: TOKEN,
        HTTP_RATE_LIMIT_PER_MINUTE: "40",
        HTTP_UNAUTHENTICATED_PER_MINUTE: "20",
        SHUTDOWN_GRACE_MS: "1000",
      }),
      createLogger("silent"),
    );
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("requires the bearer token on /api", async () => {
    expect((await fetch(`${app.url}/api/audit`)).status).toBe(401);
    expect((await fetch(`${app.url}/api/audit`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const ok = await fetch(`${app.url}/api/audit`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(Array.isArray(await ok.json())).toBe(true);
    // The scheme is case-insensitive (RFC 9110).
    for (const scheme of ["bearer", "BEARER", "Bearer  "]) {
      expect((await fetch(`${app.url}/api/audit`, { headers: { authorization: `${scheme} ${TOKEN}` } })).status).toBe(200);
    }
    expect((await fetch(`${app.url}/api/audit`, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
  });

  it("answers malformed JSON with a 4xx, not a crash", async () => {
    const response = await fetch(`${app.url}/api/audit`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("limits unauthenticated requests per IP apart from authenticated ones, and never health probes", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await fetch(`${app.url}/api/audit`)).status);
    expect(statuses).toContain(401);
    expect(statuses.slice(-10)).toEqual(Array.from({ length: 10 }, () => 429));
    // The strangers' flood does not lock out the token holder.
    expect((await fetch(`${app.url}/api/audit`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const authed: number[] = [];
    for (let i = 0; i < 45; i++) authed.push((await fetch(`${app.url}/api/audit`, { headers: { authorization: `Bearer ${TOKEN}` } })).status);
    expect(authed).toContain(429);
    for (let i = 0; i < 50; i++) expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});

describe("Redis window counter", () => {
  it("counts across connections and expires with its window", async () => {
    const a = createRedis(inject("redisUrl"), "client");
    const b = createRedis(inject("redisUrl"), "client");
    await Promise.all([redisReady(a), redisReady(b)]);
    const prefix = `test:${Date.now()}:`;
    const limiterA = new Limiter(new RedisWindowCounter(a, prefix), 3, 400, "x:");
    const limiterB = new Limiter(new RedisWindowCounter(b, prefix), 3, 400, "x:");
    expect((await limiterA.hit("k")).allowed).toBe(true);
    expect((await limiterB.hit("k")).allowed).toBe(true);
    expect((await limiterA.check("k")).allowed).toBe(true);
    expect((await limiterB.hit("k")).allowed).toBe(true);
    expect((await limiterA.check("k")).allowed).toBe(false);
    expect((await limiterA.hit("k")).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 450));
    expect((await limiterB.hit("k")).allowed).toBe(true);
    a.disconnect();
    b.disconnect();
  });
});
