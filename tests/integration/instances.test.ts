// Several instances on one PostgreSQL and one Redis, with process roles: A is `web` (webhooks, no
// workers), B is `all`, C is `worker` (queues only; HTTP has health and readiness, no webhooks). Telegram
// updates are spread over A and B, and every one is also delivered to the other instance at the same time
// (as a platform re-delivering): each is answered once. A reminder set through A is sent once (B's and C's
// workers compete for it); an announcement posted to A's admin API reaches each recipient once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { citizen, staff } from "../helpers/broadcast-harness.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { TEST_SECRET, TEST_TOKEN, withUpdateId } from "../helpers/telegram-harness.ts";
import { seedUnits } from "../helpers/units.ts";

const ADMIN = "instances-admin-token-0123456789abcdef";

async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

describe("several instances on one PostgreSQL and Redis, with roles", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-instances-"));
  const prefix = `test-inst-${process.pid}-${Date.now()}`;
  let fake: FakeTelegram;
  let web: RunningApp;
  let all: RunningApp;
  let worker: RunningApp;

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    const env = {
      DATA_DIR: dir,
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      QUEUE_PREFIX: prefix, // instances of one bot share their queues
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: fake.url,
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
      ADMIN_API_TOKEN: ADMIN,
      WEB_SESSION_SECRET: "a-secret-the-instances-share-0123456789",
      RATE_LIMIT_PER_MINUTE: "1000",
      SHUTDOWN_GRACE_MS: "1000",
    };
    const log = createLogger("silent");
    [web, all, worker] = await Promise.all([
      startApp(testConfig({ ...env, PROCESS_ROLE: "web" }), log),
      startApp(testConfig({ ...env, PROCESS_ROLE: "all" }), log),
      startApp(testConfig({ ...env, PROCESS_ROLE: "worker" }), log),
    ]);
    await seedUnits(web.db.prisma);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([web?.stop(), all?.stop(), worker?.stop()]);
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The platform: delivers an update to an instance until it answers 200 (503 = try again later). */
  const deliver = async (app: RunningApp, update: Record<string, unknown>): Promise<void> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const response = await fetch(`${app.url}/webhooks/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TEST_SECRET },
        body: JSON.stringify(update),
      });
      if (response.status === 200) return;
      expect(response.status).toBe(503);
      await sleep(200);
    }
    throw new Error("update never acknowledged");
  };
  const sentTo = (chat: number) => fake.ok("sendMessage").filter((c) => c.params.chat_id === chat).map((c) => String(c.params.text));

  it("has the roles' faces: the worker serves no webhook, every instance answers health and readiness", async () => {
    for (const app of [web, all, worker]) {
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    }
    const onWorker = await fetch(`${worker.url}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TEST_SECRET },
      body: JSON.stringify(withUpdateId(textUpdate("/start", 5000))),
    });
    expect(onWorker.status).toBe(404);
  });

  it("answers every update once, though each reaches both web instances at the same time", async () => {
    const chats = Array.from({ length: 24 }, (_, i) => 5100 + i);
    const updates = chats.map((chat) => withUpdateId(textUpdate("/start", chat)));
    await Promise.all(updates.flatMap((u, i) => [deliver(i % 2 ? web : all, u), deliver(i % 2 ? all : web, u)]));
    const counts = chats.map((chat) => sentTo(chat).length);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts).toEqual(chats.map(() => counts[0]));
    // Once more to each: nothing new.
    await Promise.all(updates.flatMap((u) => [deliver(web, u), deliver(all, u)]));
    expect(chats.map((chat) => sentTo(chat).length)).toEqual(counts);
  }, 60_000);

  it("sends a reminder once, with two workers competing for it", async () => {
    await staff(web.db.prisma, "telegram", "5300", "OFFICER", "19123");
    await deliver(web, withUpdateId(textUpdate("/nhac sau 2 phút gọi lại cho anh Nam", 5300)));
    const confirmation = sentTo(5300).join("\n");
    const id = Number(/#(\d+)/.exec(confirmation)?.[1]);
    expect(id, confirmation).toBeGreaterThan(0);
    // Due now rather than in two minutes: its delayed job is promoted.
    const queue = new Queue("reminders", { connection: new Redis(inject("redisUrl"), { maxRetriesPerRequest: null }), prefix });
    try {
      const job = await queue.getJob(`rem-${id}`);
      expect(await job!.getState()).toBe("delayed");
      await job!.promote();
      await waitUntil(() => sentTo(5300).some((t) => t.includes("gọi lại cho anh Nam") && !t.includes("#")), 20_000, "reminder sent");
      await sleep(2_000);
      expect(sentTo(5300).filter((t) => t.includes("gọi lại cho anh Nam") && !t.includes("#"))).toHaveLength(1);
      await waitUntil(async () => (await web.db.prisma.reminder.findUnique({ where: { id } }))?.status === "SENT", 10_000, "row SENT");
    } finally {
      await queue.close();
    }
  }, 60_000);

  it("sends an announcement once to each recipient, with two workers fanning out", async () => {
    const recipients = Array.from({ length: 30 }, (_, i) => 5400 + i);
    for (const chat of recipients) await citizen(web.db.prisma, "telegram", String(chat), (chat - 5400) % 2 ? "19123" : "19124");
    const text = "Thông báo: chủ nhật này làm căn cước lưu động tại nhà văn hóa xã.";
    const response = await fetch(`${web.url}/api/broadcasts`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", "idempotency-key": "instances-1" },
      body: JSON.stringify({ unitCode: "450", audience: "citizens", text, channels: ["telegram"] }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: number };
    await waitUntil(
      async () => ((await (await fetch(`${web.url}/api/broadcasts/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { status: string }).status === "DONE",
      30_000,
      "broadcast done",
    );
    await sleep(1_000);
    expect(recipients.map((chat) => sentTo(chat).filter((t) => t.includes("làm căn cước lưu động")).length)).toEqual(recipients.map(() => 1));
  }, 60_000);
});
