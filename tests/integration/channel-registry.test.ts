// The channel registry is the only list of channels: a registry with one more entry makes that channel
// reachable by announcements (chat preview, buttons, fan-out, progress) and reminders, with no other change.
//
// The fake entry takes the `CLI` value of the Prisma enum, in a registry without the CLI entry: the generated
// Prisma client checks enum values on the way in and out ("Value 'FAKE' not found in enum 'Channel'"), so a
// really new value needs prisma/schema.prisma, a regenerated client and a migration — which is what adding a
// channel means (see channels/registry.ts). The control runs use the app's registry, where the same rows (CLI)
// are not sendable: the registry alone decides who is reached.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createCore, type Core } from "../../src/app.ts";
import { CHANNEL_SPECS, channelRegistry, createChannelRegistry, type ChannelName, type ChannelSpec } from "../../src/channels/registry.ts";
import type { ChannelAdapter } from "../../src/core/ports.ts";
import type { Database } from "../../src/db/client.ts";
import { broadcastProgress, configRates, createBroadcast, previewAudience, startBroadcasts } from "../../src/features/broadcast/service.ts";
import { startReminders } from "../../src/features/reminders/runtime.ts";
import { Reminders } from "../../src/features/reminders/service.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { Outbox } from "../../src/outbox/outbox.ts";
import { createQueueSet, type QueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";
import { citizen, seedUnits, staff } from "../helpers/broadcast-harness.ts";
import { testConfig } from "../helpers/config.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { FakeChannel, waitFor } from "../helpers/fake-channel.ts";

const FAKE = "fake" as ChannelName;
const fakeSpec: ChannelSpec = {
  name: FAKE,
  enumValue: "CLI",
  label: "Kênh Thử",
  capabilities: { buttons: false, photoUpload: false, sendable: true, public: true },
  defaultRate: 50,
  load: async () => ({ createAdapter: () => fakeChannel }),
};
const fakeChannel = new FakeChannel(FAKE);
const registry = createChannelRegistry([...CHANNEL_SPECS.filter((s) => s.name !== "cli"), fakeSpec]);

describe("a channel added to the registry only", () => {
  const log = createLogger("silent");
  const config = testConfig({ RATE_LIMIT_PER_MINUTE: "10000", QUIET_HOURS_START: "00:00", QUIET_HOURS_END: "00:00" });
  const telegram = new FakeChannel("telegram");
  const zalo = new FakeChannel("zalo");
  let db: Database;
  let queues: QueueSet;
  let outbox: Outbox;
  let core: Core;
  let reminders: Reminders;
  let fakeOnly: { identityId: number; personId: number };

  const press = async (payload: string) => {
    const { replies } = await core.pipeline.handle({ channel: "telegram", userId: "sup", chatId: "sup", payload, receivedAt: new Date() });
    return { text: replies.map((r) => r.text).join("\n"), buttons: replies.flatMap((r) => (r.buttons ?? []).flat()) };
  };

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    await seedUnits(db.prisma);
    queues = createQueueSet(inject("redisUrl"), log, `test-${randomBytes(4).toString("hex")}`);
    await redisReady(queues.redis);
    const adapters = new Map<ChannelName, ChannelAdapter>([
      ["telegram", telegram],
      ["zalo", zalo],
      [FAKE, fakeChannel],
    ]);
    outbox = new Outbox({ queues, prisma: db.prisma, log, channels: adapters, rates: {}, registry, attempts: 2, backoffMs: 50 });
    core = createCore({ config, db, log, outbox, queues, registry });
    await startBroadcasts({ queues, prisma: db.prisma, outbox, log, config, messages: core.services.messages, registry, batchSize: 2, sweepEveryMs: 1000 });
    reminders = await startReminders({ queues, prisma: db.prisma, outbox, log, config, channels: adapters, registry, messages: core.services.messages, syncEveryMs: 0, catchUp: false });
    outbox.start();

    await staff(db.prisma, "telegram", "sup", "SUPERVISOR", "450");
    await citizen(db.prisma, "telegram", "t1", "19123");
    await citizen(db.prisma, "zalo", "z1", "19123");
    // Stored with the enum value the fake entry took.
    fakeOnly = await citizen(db.prisma, "cli", "f1", "19123");
  });
  afterAll(async () => {
    await queues?.close(2000);
    await db?.close();
  });

  it("counts the fake channel's citizens only under a registry that has it", async () => {
    const spec = { unitPath: "/44/450/", audience: "CITIZENS" as const, channels: [] };
    const withFake = await previewAudience(db.prisma, outbox, spec, registry);
    expect(withFake.byChannel).toEqual({ telegram: 1, zalo: 1, web: 0, fake: 1 });
    expect(withFake.total).toBe(3);
    const appRegistry = await previewAudience(db.prisma, undefined, spec, channelRegistry);
    expect(appRegistry.byChannel).toEqual({ telegram: 1, zalo: 1, web: 0 });
    expect(appRegistry.total).toBe(2);
  });

  it("/thongbao offers the channel by its label and sends through its adapter alone", async () => {
    const { text: preview, buttons } = await core.pipeline
      .handle({ channel: "telegram", userId: "sup", chatId: "sup", text: "/thongbao Lịch tiếp dân tuần này", receivedAt: new Date() })
      .then(({ replies }) => ({ text: replies.map((r) => r.text).join("\n"), buttons: replies.flatMap((r) => (r.buttons ?? []).flat()) }));
    expect(preview).toContain("Kênh Thử 1");
    const only = buttons.find((b) => b.label === "Chỉ Kênh Thử");
    expect(only, buttons.map((b) => b.label).join(", ")).toBeDefined();

    const chosen = await press(only!.payload);
    expect(chosen.text).toMatch(/Kênh Thử 1/);
    expect(chosen.text).not.toMatch(/Telegram \d/);
    const send = chosen.buttons.find((b) => b.label.startsWith("✅ Gửi"));
    expect(send?.label).toBe("✅ Gửi (1 người)");
    const started = await press(send!.payload);
    expect(started.text).toMatch(/thông báo số \d+ tới 1 người/);

    await waitFor(() => fakeChannel.sentTo("f1") === 1, 10_000, "the announcement on the fake channel");
    expect(fakeChannel.sent.find((s) => s.chatId === "f1")!.replies[0]!.text).toContain("Lịch tiếp dân tuần này");
    expect(telegram.sentTo("t1")).toBe(0);
    expect(zalo.sentTo("z1")).toBe(0);
    const broadcast = await db.prisma.broadcast.findFirstOrThrow({ orderBy: { id: "desc" } });
    expect(broadcast.channels).toEqual(["CLI"]);
  });

  it("a broadcast to every channel reaches all three and reports the fake channel's progress", async () => {
    const result = await createBroadcast(
      { prisma: db.prisma, queues, outbox, registry },
      { unitCode: "450", audience: "CITIZENS", channels: [], text: "Thông báo chung cho mọi kênh", by: { personId: null, label: "api" } },
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.preview.byChannel).toEqual({ telegram: 1, zalo: 1, web: 0, fake: 1 });
    const has = (ch: FakeChannel, chatId: string) => ch.sent.some((s) => s.chatId === chatId && s.replies[0]!.text.includes("Thông báo chung"));
    await waitFor(() => has(fakeChannel, "f1") && has(telegram, "t1") && has(zalo, "z1"), 10_000, "the announcement on every channel");
    await waitFor(async () => (await db.prisma.broadcast.findUniqueOrThrow({ where: { id: result.broadcast.id } })).status === "DONE", 10_000, "DONE");
    const progress = await broadcastProgress(db.prisma, result.broadcast.id, configRates(config, registry), registry);
    expect(progress!.counts.sent).toBe(3);
    expect(Object.keys(progress!.pendingByChannel).sort()).toEqual(["fake", "telegram", "web", "zalo"]);
  });

  it("a reminder to a person reachable only on the fake channel goes through its adapter", async () => {
    const [row] = await reminders.createAndSchedule([
      { jobKey: "rem-fake-1", kind: "PERSONAL", personId: fakeOnly.personId, text: "Nộp báo cáo tuần", dueAt: new Date(), urgent: true },
    ]);
    await waitFor(async () => (await db.prisma.reminder.findUniqueOrThrow({ where: { id: row!.id } })).status === "SENT", 10_000, "reminder SENT");
    expect(fakeChannel.sent.filter((s) => s.chatId === "f1").map((s) => s.replies[0]!.text)).toContain("Nộp báo cáo tuần");

    // The same person under the app's registry, where that enum value is the (unsendable) CLI: nobody to send to.
    const appReminders = new Reminders({ prisma: db.prisma, queues, config, log, outbox, queueName: `reminders-control-${randomBytes(3).toString("hex")}` });
    const control = await db.prisma.reminder.create({ data: { jobKey: "rem-fake-control", kind: "PERSONAL", personId: fakeOnly.personId, text: "x", dueAt: new Date(), urgent: true } });
    expect(await appReminders.deliver(control)).toBe("unreachable");
    expect((await db.prisma.reminder.findUniqueOrThrow({ where: { id: control.id } })).lastError).toBe("người nhận không có kênh Telegram/Zalo/trang web nào");
  });
});
