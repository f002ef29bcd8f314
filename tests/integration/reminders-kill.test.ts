// Kill test: the reminder worker runs as a child process (tsx) against a shared PostgreSQL and Redis and
// sends to a fake chat server over loopback HTTP. It is SIGKILLed while reminders are being sent, then
// restarted: every reminder reaches the chat exactly once (at-least-once in the queues, deduplicated at
// delivery by the outbox's claim/sent marks), and every Reminder row ends SENT.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { FakeChatServer } from "../helpers/http-channel.ts";
import { Redis } from "ioredis";

const root = path.resolve(import.meta.dirname, "../..");
const N = 30;

function redisDb(index: number): string {
  const url = new URL(inject("redisUrl"));
  url.pathname = `/${index}`;
  return url.toString();
}

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a second process that a SIGKILL of
  // the first would leave running.
  const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/reminder-worker-child.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${stderr}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${stderr}`));
    });
  });
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners("exit");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describe("reminder worker killed mid-send", () => {
  let db: Database;
  let databaseUrl: string;
  const chat = new FakeChatServer();
  const redisUrl = redisDb(4);
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    databaseUrl = await createPostgresDatabase();
    db = await openDatabase({ databaseUrl, officialUnits: false });
    await db.migrate();
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await chat.start();
  });

  afterAll(async () => {
    await kill(child);
    await chat.close();
    await db?.close();
  });

  it("delivers every reminder exactly once across a SIGKILL and a restart", async () => {
    const people: Array<{ id: number }> = [];
    for (let i = 0; i < 3; i++) {
      people.push(
        await db.prisma.person.create({ data: { identities: { create: { channel: "TELEGRAM", externalUserId: `k${i}`, chatId: `chat-${i}` } } } }),
      );
    }
    // Due together in a few seconds; no jobs yet: the worker's start-up sync creates them from the rows.
    const dueAt = new Date(Date.now() + 4000);
    await db.prisma.reminder.createMany({
      data: Array.from({ length: N }, (_, i) => ({
        jobKey: `rem-kill-${i}`,
        kind: "PERSONAL" as const,
        personId: people[i % 3]!.id,
        text: `nhắc số ${i}`,
        dueAt,
        urgent: true,
      })),
    });
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, CHAT_URL: chat.url, SEND_CONCURRENCY: "5", LOCK_MS: "1500" };

    // The platform is slow: the first sends hang, and the worker is killed while they are in flight.
    chat.holdMs = 60_000;
    child = await startWorker(env);
    await waitFor(() => chat.received.length >= 5, 20_000, "the first sends");
    await new Promise((r) => setTimeout(r, 300));
    expect(chat.received.length).toBe(5); // five sends in flight, every sending slot busy
    await kill(child);
    chat.holdMs = 0;

    child = await startWorker(env);
    await waitFor(() => new Set(chat.received.map((r) => r.text)).size === N, 30_000, "every reminder delivered");
    // Long enough for the killed worker's jobs to be found stalled and retried.
    try {
      await waitFor(async () => (await db.prisma.reminder.count({ where: { status: "SCHEDULED" } })) === 0, 20_000, "every outcome recorded");
    } catch (error) {
      const { Queue } = await import("bullmq");
      for (const name of ["outbox-telegram", "reminders"]) {
        const q = new Queue(name, { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix: "troly06" });
        console.log(name, JSON.stringify(await q.getJobCounts()));
        for (const f of await q.getFailed()) console.log("failed", f.id, f.failedReason);
        for (const f of await q.getActive()) console.log("active", f.id, JSON.stringify(f.opts));
      }
      console.log(await db.prisma.reminder.findMany({ where: { status: "SCHEDULED" }, select: { jobKey: true } }));
      throw error;
    }
    await new Promise((r) => setTimeout(r, 3000));

    for (let i = 0; i < N; i++) expect(chat.countOf(`nhắc số ${i}`), `nhắc số ${i}`).toBe(1);
    expect(chat.received).toHaveLength(N);
    const rows = await db.prisma.reminder.findMany({ where: { jobKey: { startsWith: "rem-kill-" } } });
    expect(rows.every((r) => r.status === "SENT")).toBe(true);
    // The five in flight at the kill are recorded as sent-but-unconfirmed, not resent.
    expect(rows.filter((r) => r.lastError?.startsWith("không chắc")).length).toBe(5);
    // Nothing was sent before its time.
    expect(Math.min(...chat.received.map((r) => r.at))).toBeGreaterThanOrEqual(dueAt.getTime());
  }, 90_000);
});
