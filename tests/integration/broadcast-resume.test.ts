// Kill and resume, with real processes: the broadcast worker (fan-out + Telegram outbox, real grammY adapter)
// runs as a child process against a fake Telegram Bot API on loopback, PostgreSQL and Redis. It is SIGKILLed
// once in the middle of the fan-out and once in the middle of sending; the next worker takes over. Every
// recipient must get exactly one message: 0 duplicates, 0 lost. A message whose worker died during the send
// is "uncertain" (not resent: it most likely arrived) — they are counted and reported.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { createBroadcast } from "../../src/features/broadcast/service.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createQueueSet, type QueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { openDatabase } from "../../src/db/client.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { FakeTelegram, failures } from "../helpers/fake-telegram.ts";
import { seedUnits } from "../helpers/units.ts";

const root = path.resolve(import.meta.dirname, "../..");
const RECIPIENTS = 300;

describe("broadcast worker killed and restarted", () => {
  let db: Database;
  let databaseUrl: string;
  let queues: QueueSet;
  let telegram: FakeTelegram;
  const prefix = `test-${randomBytes(4).toString("hex")}`;
  const children: ChildProcess[] = [];

  async function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/broadcast-worker.ts"], {
      cwd: root,
      env: {
        ...process.env,
        BW_DATABASE_URL: databaseUrl,
        BW_REDIS_URL: inject("redisUrl"),
        BW_PREFIX: prefix,
        BW_API_ROOT: telegram.url,
        BW_RATE: "100",
        BW_CONCURRENCY: "5",
        BW_LOCK_MS: "1500",
        BW_BATCH: "2",
        BW_BACKOFF_MS: "100",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
      child.once("exit", (code) => reject(new Error(`worker exited (${code}): ${stderr.slice(-2000)}`)));
    });
    return child;
  }

  const kill = async (child: ChildProcess) => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };

  beforeAll(async () => {
    databaseUrl = await createPostgresDatabase();
    db = await openDatabase({ databaseUrl, officialUnits: false });
    await db.migrate();
    await seedUnits(db.prisma);
    // Recipients in two communes of the district, plus some outside it who must get nothing.
    for (let i = 0; i < RECIPIENTS + 20; i++) {
      const outside = i >= RECIPIENTS;
      await db.prisma.channelIdentity.create({
        data: {
          channel: "TELEGRAM",
          externalUserId: String(1_000_000 + i),
          chatId: String(1_000_000 + i),
          person: { create: {} },
          subscription: { create: { unitCode: outside ? "19200" : i % 2 ? "19123" : "19124", source: "QR" } },
        },
      });
    }
    queues = createQueueSet(inject("redisUrl"), createLogger("silent"), prefix);
    await redisReady(queues.redis);
    telegram = await new FakeTelegram().start();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await telegram?.close();
    await queues?.close(1000);
    await db?.close();
  });

  it("sends every recipient exactly one message across two SIGKILLs", { timeout: 120_000 }, async () => {
    // The platform misbehaves a little too: one 429, one 502, one user who blocked the bot.
    telegram.failNext("sendMessage", failures.tooManyRequests(1));
    telegram.failNext("sendMessage", failures.badGateway());
    telegram.failNext("sendMessage", failures.blocked());
    let worker = await startWorker();
    const created = await createBroadcast(
      { prisma: db.prisma, queues, outbox: { canSend: () => true } },
      { unitCode: "450", audience: "CITIZENS", channels: [], text: "Thông báo lịch làm căn cước lưu động", by: { personId: null, label: "api" } },
    );
    if (!created.ok) throw new Error("not created");
    const id = created.broadcast.id;
    const broadcast = () => db.prisma.broadcast.findUniqueOrThrow({ where: { id } });

    // 1. Kill in the middle of the fan-out (pages of 2: about 150 pages).
    await waitFor(async () => (await broadcast()).expandCursor >= 60, 20_000, "fan-out under way");
    await kill(worker);
    const atFirstKill = await broadcast();
    expect(atFirstKill.expandedAt).toBeNull();
    worker = await startWorker();

    // 2. Kill in the middle of sending.
    await waitFor(() => telegram.ok("sendMessage").length >= RECIPIENTS / 2, 60_000, "half sent");
    await kill(worker);
    worker = await startWorker();

    await waitFor(async () => (await broadcast()).status === "DONE", 90_000, "broadcast done");

    const perChat = new Map<string, number>();
    for (const call of telegram.ok("sendMessage")) perChat.set(String(call.params.chat_id), (perChat.get(String(call.params.chat_id)) ?? 0) + 1);
    const deliveries = await db.prisma.broadcastDelivery.findMany({ where: { broadcastId: id }, include: { identity: true } });
    expect(deliveries).toHaveLength(RECIPIENTS);
    const duplicates = [...perChat.values()].filter((n) => n > 1).length;
    const uncertain = deliveries.filter((d) => d.status === "FAILED" && d.lastError === "uncertain");
    const unreachable = deliveries.filter((d) => d.status === "UNREACHABLE");
    const lost = deliveries.filter((d) => !perChat.has(d.identity.chatId) && d.status !== "UNREACHABLE" && d.lastError !== "uncertain");
    const uncertainArrived = uncertain.filter((d) => perChat.has(d.identity.chatId)).length;
    console.info(
      `kill-and-resume: ${RECIPIENTS} recipients, ${perChat.size} got the message, duplicates ${duplicates}, lost ${lost.length}, ` +
        `unreachable ${unreachable.length}, uncertain ${uncertain.length} (${uncertainArrived} of them did reach the platform), ` +
        `fan-out killed at cursor ${atFirstKill.expandCursor}`,
    );
    expect(duplicates).toBe(0);
    expect(lost).toEqual([]);
    expect(unreachable).toHaveLength(1);
    expect(deliveries.filter((d) => d.status === "PENDING")).toEqual([]);
    // Only sends under way at a kill can be uncertain: at most the outbox concurrency per kill.
    expect(uncertain.length).toBeLessThanOrEqual(10);
    for (const d of deliveries.filter((d) => d.status === "SENT")) expect(perChat.get(d.identity.chatId), d.identity.chatId).toBe(1);
    // Nobody outside the district heard anything.
    for (let i = RECIPIENTS; i < RECIPIENTS + 20; i++) expect(perChat.has(String(1_000_000 + i))).toBe(false);
    const done = await broadcast();
    expect(done.summary).toMatchObject({ sent: RECIPIENTS - 1 - uncertain.length, unreachable: 1, uncertain: uncertain.length, pending: 0 });
    await kill(worker);
  });
});
