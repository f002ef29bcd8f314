// The outbox against real Redis and BullMQ, with an in-process channel that misbehaves on demand.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { Outbox, type Outcome } from "../../src/outbox/outbox.ts";
import { createQueueSet, type QueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { FakeChannel, waitFor } from "../helpers/fake-channel.ts";

describe("outbox", () => {
  let db: Database;
  let queues: QueueSet;
  let outbox: Outbox;
  const channel = new FakeChannel("telegram");
  const outcomes = new Map<string, Outcome[]>();
  const run = randomBytes(4).toString("hex");
  const key = (name: string) => `t-${run}-${name}`;
  const message = (name: string, chatId = name) => ({
    key: key(name),
    channel: "telegram" as const,
    chatId,
    replies: [{ text: `xin chào ${name}` }],
    kind: "test",
    ref: { name },
  });

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    queues = createQueueSet(inject("redisUrl"), createLogger("silent"), `test-${run}`);
    await redisReady(queues.redis);
    outbox = new Outbox({
      queues,
      prisma: db.prisma,
      log: createLogger("silent"),
      channels: new Map([["telegram", channel]]),
      rates: { telegram: { perSecond: 20, concurrency: 5 } },
      attempts: 3,
      backoffMs: 50,
    });
    outbox.onOutcome("test", async (m, outcome) => {
      outcomes.set(String(m.ref?.name), [...(outcomes.get(String(m.ref?.name)) ?? []), outcome]);
    });
    outbox.start();
  });
  afterAll(async () => {
    await queues?.close(2000);
    await db?.close();
  });

  it("sends each message once, even when the same key is queued twice", async () => {
    await outbox.enqueue([message("a"), message("b")]);
    await outbox.enqueue([message("a")]);
    await waitFor(() => outcomes.has("a") && outcomes.has("b"), 10_000, "a and b");
    await new Promise((r) => setTimeout(r, 300));
    expect(channel.sentTo("a")).toBe(1);
    expect(channel.sentTo("b")).toBe(1);
    expect(outcomes.get("a")![0]).toMatchObject({ status: "sent" });
  });

  it("marks a recipient who blocked the bot unreachable and does not retry", async () => {
    await db.prisma.channelIdentity.create({
      data: { channel: "TELEGRAM", externalUserId: "blk", chatId: "blk", person: { create: {} } },
    });
    channel.behave("blk", "blocked");
    await outbox.enqueue([message("blk")]);
    await waitFor(() => outcomes.has("blk"), 10_000, "blocked outcome");
    expect(outcomes.get("blk")).toEqual([{ status: "unreachable", error: expect.stringMatching(/blocked/) }]);
    expect((await db.prisma.channelIdentity.findFirstOrThrow({ where: { chatId: "blk" } })).unreachableAt).not.toBeNull();
    expect(channel.sentTo("blk")).toBe(0);
  });

  it("retries transient errors with backoff and sends once", async () => {
    channel.behave("flaky", { failTimes: 2 });
    await outbox.enqueue([message("flaky")]);
    await waitFor(() => outcomes.has("flaky"), 10_000, "flaky outcome");
    expect(channel.sentTo("flaky")).toBe(1);
    expect(outcomes.get("flaky")![0]!.status).toBe("sent");
  });

  it("reports a final failure when every attempt fails", async () => {
    channel.behave("dead", { failTimes: 99 });
    await outbox.enqueue([message("dead")]);
    await waitFor(() => outcomes.has("dead"), 10_000, "dead outcome");
    expect(outcomes.get("dead")).toEqual([{ status: "failed", error: "502 Bad Gateway" }]);
  });

  it("pauses the whole channel on a 429 and delivers afterwards, without using up attempts", async () => {
    channel.behave("slow", { rateLimitedFor: 1 });
    await outbox.enqueue([message("slow")]);
    await waitFor(() => channel.rateLimitedAt > 0, 10_000, "the 429");
    await outbox.enqueue([message("after-slow")]);
    await waitFor(() => outcomes.has("slow") && outcomes.has("after-slow"), 15_000, "rate-limited outcomes");
    expect(channel.sentTo("slow")).toBe(1);
    // Nothing went out during the pause: a message queued after the 429 waited for it too.
    for (const name of ["slow", "after-slow"]) {
      const sent = channel.sent.find((s) => s.chatId === name)!;
      expect(sent.at - channel.rateLimitedAt).toBeGreaterThanOrEqual(900);
    }
  });

  it("never resends a message a killed worker may already have sent", async () => {
    // A claim without a "sent" mark is what a worker leaves behind when it dies mid-send.
    await queues.redis.set(`test-${run}:outbox:claim:${key("ghost")}`, "dead-worker", "EX", 60);
    await outbox.enqueue([message("ghost")]);
    await waitFor(() => outcomes.has("ghost"), 10_000, "ghost outcome");
    expect(outcomes.get("ghost")).toEqual([{ status: "uncertain" }]);
    expect(channel.sentTo("ghost")).toBe(0);
  });

  it("keeps to the channel's rate", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `r${i}`);
    const started = Date.now();
    await outbox.enqueue(names.map((n) => message(n)));
    await waitFor(() => names.every((n) => outcomes.has(n)), 20_000, "rate batch");
    // 40 messages at 20/s cannot all go out in under ~1.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(names.every((n) => channel.sentTo(n) === 1)).toBe(true);
  });

  it("refuses keys BullMQ cannot use as job ids", async () => {
    await expect(outbox.enqueue([{ ...message("x"), key: "b:1:2" }])).rejects.toThrow(/invalid outbox key/);
    await expect(outbox.enqueue([{ ...message("x"), key: "12345" }])).rejects.toThrow(/invalid outbox key/);
  });
});
