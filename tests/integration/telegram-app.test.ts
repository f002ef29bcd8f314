// The whole app with TELEGRAM_BOT_TOKEN set: the channel is created, its webhook route is served by the
// app's HTTP server, the webhook is registered at start-up, and it is stopped with the app.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { seedUnits, TEST_SECRET, TEST_TOKEN, withUpdateId } from "../helpers/telegram-harness.ts";

describe("the app with the Telegram channel on", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-tg-app-"));
  let fake: FakeTelegram;
  let app: RunningApp;

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    const config = testConfig({
      DATA_DIR: dir,
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      PUBLIC_URL: "https://troly06.example.gov.vn",
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: fake.url,
      TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
      SHUTDOWN_GRACE_MS: "1000",
    });
    expect(config.telegramMode).toBe("webhook");
    app = await startApp(config, createLogger("silent"));
    await seedUnits(app.db.prisma);
  });
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers the webhook and answers updates posted to the app", async () => {
    expect(app.channels.has("telegram")).toBe(true);
    expect(fake.ok("setWebhook")[0]!.params.url).toBe("https://troly06.example.gov.vn/webhooks/telegram");
    const post = (update: Record<string, unknown>) =>
      fetch(`${app.url}/webhooks/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TEST_SECRET },
        body: JSON.stringify(update),
      });
    const update = withUpdateId(textUpdate("/start u_19123", 9001));
    expect((await post(update)).status).toBe(200);
    expect((await post(update)).status).toBe(200); // Telegram's re-delivery: ignored
    expect(fake.texts()[0]).toMatch(/đăng ký nhận thông báo của Xã Sen Thủy/);
    expect(fake.ok("sendMessage")).toHaveLength(2); // confirmation + greeting, once
    expect(await app.db.prisma.subscription.count({ where: { unitCode: "19123" } })).toBe(1);
  });
});
