// The embedded redis-server (REDIS_URL unset) is supervised: killed, it is started again on its port
// and the app recovers by itself — /readyz back to 200, a worker started before the kill takes new jobs —
// without flooding the log. Shutdown is bounded whatever is down: the app (`src/main.ts` as a child
// process) with its redis-server killed and never coming back and its database cut off ends within
// SHUTDOWN_GRACE_MS and a few seconds of SIGTERM.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { TcpProxy } from "../helpers/tcp-proxy.ts";
import { TEST_TOKEN } from "../helpers/telegram-harness.ts";

const ADMIN = "supervised-admin-token-0123456789";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function readiness(url: string): Promise<{ status: number; checks?: Record<string, string> }> {
  try {
    const response = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(3_000) });
    const body = (await response.json()) as { checks?: Record<string, string> };
    return { status: response.status, checks: body.checks };
  } catch {
    return { status: 0 };
  }
}

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

describe("supervised redis-server", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-supervise-"));
  const lines: Array<{ level: number; msg: string }> = [];
  let app: RunningApp;

  beforeAll(async () => {
    const config = testConfig({ DATA_DIR: dir, DATABASE_URL: await createPostgresDatabase(), SHUTDOWN_GRACE_MS: "1000", ADMIN_API_TOKEN: ADMIN });
    expect(config.REDIS_URL).toBeUndefined();
    const destination = { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) };
    app = await startApp(config, createLogger("info", destination));
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("restarts a killed redis-server, and readiness and workers come back", async () => {
    expect(app.redis.embedded).toBe(true);
    const processed: string[] = [];
    app.queues.worker("supervise-probe", async (job) => void processed.push(String(job.data.n)));
    await app.queues.queue("supervise-probe").add("probe", { n: "before" });
    await until(async () => processed.includes("before"), 10_000, "job before the kill");
    expect((await readiness(app.url)).status).toBe(200);

    const firstPid = app.redis.pid!()!;
    const warningsBefore = lines.filter((l) => l.level >= 40).length;
    process.kill(firstPid, "SIGKILL");
    // Down for a moment, then up again on its own.
    await until(async () => (await readiness(app.url)).status === 503, 5_000, "readiness 503 after the kill");
    const back = await until(async () => {
      const r = await readiness(app.url);
      return r.status === 200 ? r : undefined;
    }, 20_000, "readiness 200 again");
    expect(back.checks).toEqual({ database: "ok", redis: "ok" });
    expect(app.redis.pid!()).not.toBe(firstPid);
    expect(app.redis.restarts!()).toBe(1);

    // The worker started before the kill reconnected and takes new jobs; the queue's producer too.
    await until(async () => {
      await app.queues.queue("supervise-probe").add("probe", { n: "after" }).catch(() => undefined);
      return processed.includes("after");
    }, 20_000, "job after the restart");
    // Stay a few seconds more: reconnecting connections must not keep writing lines.
    await sleep(3_000);
    const warnings = lines.filter((l) => l.level >= 40).slice(warningsBefore);
    expect(warnings.some((l) => l.msg.includes("redis-server died"))).toBe(true);
    expect(warnings.length, warnings.map((l) => l.msg).join("\n")).toBeLessThan(40);
  }, 90_000);
});

describe("shutdown with everything down", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-shutdown-"));
  let proxy: TcpProxy;
  let fake: FakeTelegram;

  beforeAll(async () => {
    proxy = await TcpProxy.forUrl(inject("postgresUrl")).up();
    fake = await new FakeTelegram().start();
  });
  afterAll(async () => {
    await proxy.down();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends within SHUTDOWN_GRACE_MS and a few seconds of SIGTERM with redis-server dead and the database cut off", async () => {
    // redis-server through a wrapper that refuses to start once `no-more` exists: killed, it stays dead.
    const flag = path.join(dir, "no-more");
    const wrapper = path.join(dir, "redis-wrapper.sh");
    writeFileSync(wrapper, `#!/bin/sh\n[ -e "${flag}" ] && exit 1\nexec redis-server "$@"\n`);
    chmodSync(wrapper, 0o755);
    const database = proxy.url(await createPostgresDatabase());
    const port = await freePort();
    const graceMs = 2_000;
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: {
        ...process.env,
        DATA_DIR: dir,
        DATABASE_URL: database,
        REDIS_URL: "",
        REDIS_SERVER_BIN: wrapper,
        UNIT_LIST: "none",
        PORT: String(port),
        HOST: "127.0.0.1",
        SHUTDOWN_GRACE_MS: String(graceMs),
        ADMIN_API_TOKEN: ADMIN,
        LOG_LEVEL: "warn",
        // Telegram by long polling: citizens keep writing while everything is down.
        TELEGRAM_BOT_TOKEN: TEST_TOKEN,
        TELEGRAM_API_ROOT: fake.url,
        TELEGRAM_MODE: "polling",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      await until(async () => (await readiness(url)).status === 200, 90_000, "the app ready");
      const pidFile = path.join(dir, "redis", "redis.pid");
      expect(existsSync(pidFile)).toBe(true);
      const redisPid = Number(readFileSync(pidFile, "utf8"));
      writeFileSync(flag, "");
      process.kill(redisPid, "SIGKILL");
      await proxy.down();
      await until(async () => (await readiness(url)).status === 503, 10_000, "readiness 503");
      for (let i = 0; i < 5; i++) fake.pushUpdate(textUpdate("kich hoat vneid", 4000 + i));
      await sleep(5_000); // workers, connections and turns are retrying now

      const started = Date.now();
      child.kill("SIGTERM");
      const code = await Promise.race([exited, sleep(30_000).then(() => "still running" as const)]);
      const took = Date.now() - started;
      expect(code, stderr.slice(-2000)).not.toBe("still running");
      expect(took).toBeLessThan(graceMs + 6_000);
      // The supervisor never tried to start redis-server again after the stop (no wrapper run left).
      expect(stderr).not.toMatch(/unhandled/i);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${stderr.slice(-3000)}`);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 150_000);
});
