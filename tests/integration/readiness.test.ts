// /readyz reports the database and Redis: 503 while Redis is down, 200 again once it is back.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function startRedisOn(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 5000;
    const probe = () => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(child);
      });
      socket.on("error", () => (Date.now() > deadline ? reject(new Error("redis did not start")) : setTimeout(probe, 50)));
    };
    probe();
  });
}

const ADMIN = "readiness-admin-token-0123456789";

async function readyz(app: RunningApp) {
  // Without the admin token: the bare status only, never what is down or why.
  const bare = await fetch(`${app.url}/readyz`);
  const bareBody = (await bare.json()) as Record<string, unknown>;
  expect(Object.keys(bareBody)).toEqual(["status"]);
  const wrong = (await (await fetch(`${app.url}/readyz`, { headers: { authorization: "Bearer not-the-token" } })).json()) as Record<string, unknown>;
  expect(Object.keys(wrong)).toEqual(["status"]);
  const response = await fetch(`${app.url}/readyz`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await response.json()) as { status: string; checks: Record<string, string> };
  expect(bareBody.status).toBe(bare.status === 200 ? "ready" : "not ready");
  return { status: response.status, body };
}

describe("health and readiness", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-ready-"));
  let port: number;
  let redis: ChildProcess;
  let app: RunningApp;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisOn(port, dir);
    const config = testConfig({ DATA_DIR: dir, REDIS_URL: `redis://127.0.0.1:${port}`, DATABASE_URL: await createPostgresDatabase(), SHUTDOWN_GRACE_MS: "1000", ADMIN_API_TOKEN: ADMIN });
    app = await startApp(config, createLogger("silent"));
  });
  afterAll(async () => {
    await app?.stop();
    redis?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers /healthz and /metrics", async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${app.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/process_cpu_user_seconds_total/);
  });

  it("goes 503 when Redis stops and back to 200 when it returns", async () => {
    expect((await readyz(app)).status).toBe(200);

    redis.kill("SIGKILL");
    await new Promise((r) => redis.once("exit", r));
    let down = await readyz(app);
    for (let i = 0; i < 20 && down.status !== 503; i++) {
      await sleep(100);
      down = await readyz(app);
    }
    expect(down.status).toBe(503);
    expect(down.body.checks.redis).not.toBe("ok");
    expect(down.body.checks.database).toBe("ok");

    redis = await startRedisOn(port, dir);
    let up = await readyz(app);
    for (let i = 0; i < 100 && up.status !== 200; i++) {
      await sleep(100);
      up = await readyz(app);
    }
    expect(up.status).toBe(200);
  });
});
