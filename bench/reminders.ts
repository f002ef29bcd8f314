// `npm run bench:reminders` — 10,000 reminders due within one minute, through the real path: Reminder
// rows in the database → start-up sync → BullMQ delayed jobs ("reminders" queue) → the Outbox (its own
// BullMQ queue, claim/sent marks) → a fake channel that records when each message arrives.
// Prints p50/p99/max lateness (arrival − due time), duplicates and lost.
//
// The fake channel's rate is set to 1,000 messages/s: with Telegram's real 25/s the outbox limiter alone
// would need 400 s for 10,000 messages (that limit is the platform's, not the scheduler's).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config/env.ts";
import { openDatabase } from "../src/db/client.ts";
import { startReminders } from "../src/features/reminders/runtime.ts";
import { createLogger } from "../src/logging/logger.ts";
import { Outbox } from "../src/outbox/outbox.ts";
import { createQueueSet } from "../src/queue/queues.ts";
import { redisReady, startRedis } from "../src/queue/redis.ts";
import { FakeChannel } from "../tests/helpers/fake-channel.ts";
import { startPostgres } from "../tests/helpers/postgres-server.ts";

const N = Number(process.env.BENCH_REMINDERS ?? 10_000);
const PEOPLE = 1000;
const WINDOW_MS = 60_000;
const LEAD_MS = 20_000;
const RATE = 1000;

const log = createLogger("silent");
const dir = mkdtempSync(path.join(tmpdir(), "troly06-bench-"));
const redis = await startRedis({ redisUrl: process.env.REDIS_URL || undefined, dataDir: dir });
const queues = createQueueSet(redis.url, log);
await redisReady(queues.redis);
await queues.redis.flushdb();
// A throwaway PostgreSQL (as the tests start it) unless BENCH_DATABASE_URL is set: PGlite serves one
// query at a time and would measure itself rather than the scheduler.
const pg = process.env.BENCH_DATABASE_URL ? undefined : startPostgres(40_000 + Math.floor(Math.random() * 10_000));
const db = await openDatabase({ databaseUrl: process.env.BENCH_DATABASE_URL ?? pg!.url });
await db.migrate();
const config = loadConfig({ LOG_LEVEL: "silent", QUIET_HOURS_START: "00:00", QUIET_HOURS_END: "00:00", BRIEFING_CRON: "" });

console.log(`Reminders bench: ${N} reminders due within ${WINDOW_MS / 1000} s, ${PEOPLE} recipients, PostgreSQL + redis-server.`);
console.log(`Fake channel rate: ${RATE} messages/s for the bench (Telegram's default TELEGRAM_SEND_PER_SECOND is 25).`);

await db.prisma.person.createMany({ data: Array.from({ length: PEOPLE }, (_, i) => ({ displayName: `bench ${i}` })) });
const created = await db.prisma.person.findMany({ select: { id: true }, orderBy: { id: "asc" } });
await db.prisma.channelIdentity.createMany({
  data: created.map((p, i) => ({ channel: "TELEGRAM" as const, externalUserId: `b${i}`, chatId: `c${i}`, personId: p.id })),
});
const personIds = (await db.prisma.person.findMany({ select: { id: true } })).map((p) => p.id);
const start = Date.now() + LEAD_MS;
const due = new Map<string, number>();
const rows = Array.from({ length: N }, (_, i) => {
  const dueAt = start + Math.floor((i * WINDOW_MS) / N);
  due.set(`bench ${i}`, dueAt);
  return { jobKey: `rem-bench-${i}`, kind: "PERSONAL" as const, personId: personIds[i % personIds.length]!, text: `bench ${i}`, dueAt: new Date(dueAt), urgent: true };
});
for (let i = 0; i < rows.length; i += 2000) await db.prisma.reminder.createMany({ data: rows.slice(i, i + 2000) });

const channel = new FakeChannel("telegram");
const outbox = new Outbox({ queues, prisma: db.prisma, log, channels: new Map([["telegram", channel]]), rates: { telegram: { perSecond: RATE, concurrency: 50 } } });
outbox.start();
let pgStopped = false;
const stopPg = () => {
  if (!pgStopped) {
    pgStopped = true;
    pg?.stop();
  }
};
process.on("exit", stopPg);
const syncStarted = Date.now();
await startReminders({ queues, prisma: db.prisma, outbox, log, config, channels: new Map([["telegram", channel]]), concurrency: 50, syncEveryMs: 0, catchUp: false });
console.log(`Start-up sync scheduled ${N} jobs in ${Date.now() - syncStarted} ms; first due in ${Math.max(0, start - Date.now())} ms.`);

const deadline = start + WINDOW_MS + 30_000;
while (Date.now() < deadline) {
  if (new Set(channel.sent.map((s) => s.replies[0]!.text)).size >= N) break;
  await new Promise((r) => setTimeout(r, 200));
}
await new Promise((r) => setTimeout(r, 2000)); // any late duplicate would show up here

const counts = new Map<string, number>();
const lateness: number[] = [];
for (const s of channel.sent) {
  const text = s.replies[0]!.text;
  counts.set(text, (counts.get(text) ?? 0) + 1);
  if (counts.get(text) === 1) lateness.push(s.at - due.get(text)!);
}
/** The p-th percentile of ascending values. */
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
/** "p50 … ms   p99 … ms" of some durations. */
const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50)} ms   p99 ${percentile(sorted, 99)} ms`;
};
lateness.sort((a, b) => a - b);
const duplicates = [...counts.values()].reduce((sum, c) => sum + c - 1, 0);
const lost = N - counts.size;
const early = lateness.filter((l) => l < 0).length;
const statuses = await db.prisma.reminder.groupBy({ by: ["status"], _count: { _all: true } });

console.log(`Delivered: ${counts.size}/${N}   duplicates: ${duplicates}   lost: ${lost}   sent early: ${early}`);
console.log(`Lateness (arrival − due): ${spread(lateness)}   max ${lateness.at(-1)} ms`);
// Where the time goes: how late the reminders worker picked each job up (BullMQ's delayed-job promotion),
// its run, then the outbox's part: waiting in its queue, and claim + send + outcome written back.
const reminderJobs = (await queues.queue("reminders").getJobs(["completed"], 0, N + 100)).filter((j) => j.name === "reminder" && j.processedOn && j.finishedOn);
const outboxJobs = (await queues.queue("outbox-telegram").getJobs(["completed"], 0, N + 100)).filter((j) => j.processedOn && j.finishedOn);
console.log(`  until the reminders worker picked the job up: ${spread(reminderJobs.map((j) => j.processedOn! - (j.timestamp + (j.opts.delay ?? 0))))}   (${reminderJobs.length} jobs)`);
console.log(`  reminders job run (DB checks, enqueue): ${spread(reminderJobs.map((j) => j.finishedOn! - j.processedOn!))}`);
console.log(`  outbox wait (queued → picked up): ${spread(outboxJobs.map((j) => j.processedOn! - j.timestamp))}`);
console.log(`  outbox run (claim, send, outcome): ${spread(outboxJobs.map((j) => j.finishedOn! - j.processedOn!))}`);
console.log(`Reminder rows: ${statuses.map((s) => `${s.status} ${s._count._all}`).join(", ")}`);
const ok = percentile(lateness, 99) < 1000 && duplicates === 0 && lost === 0;
console.log(`Targets (p99 < 1 s, 0 duplicates, 0 lost): ${ok ? "met" : "NOT met"}`);

await queues.close(2000);
await db.close();
await redis.stop();
stopPg();
rmSync(dir, { recursive: true, force: true });
process.exitCode = ok ? 0 : 1;
