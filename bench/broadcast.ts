// `npm run bench:broadcast` — one announcement to 100,000 citizens through the real pipeline pieces: the
// fan-out worker and the Telegram outbox worker (real grammY adapter) in a child process, PostgreSQL,
// Redis, and a fake Telegram Bot API on loopback that enforces the bot's rate (429 + retry_after when it
// is exceeded), answers a few scripted 429s and some 502s, and counts what each chat received.
//
// Run 1: clean. Run 2: the workers are SIGKILLed during the fan-out and again in the middle of sending, and
// new ones started each time. Printed per run: time to fan out (expand + enqueue) 100k, achieved send rate
// as a fraction of the limit, 429/5xx answered, duplicates and lost (counted by the fake server per chat),
// and "uncertain" messages (a worker died during their send: not resent; counted, with how many did arrive).
//
// Options: --recipients 100000 --rate 500 (messages/s: the fake API's limit AND the adapter's limiter)
//          --workers 2 (worker processes; BullMQ's limiter is shared, so together they keep to the rate)
//          --concurrency 16 (per worker) --error-rate 0.002 --lock-ms 5000 --no-kill --fan-out-only
// Telegram's real limit is about 25–30/s: 100k at 25/s is 67 minutes, so the bench runs at a higher
// limit to finish in a few minutes; the mechanism is the same. The default, 500/s (100k in 3⅓ minutes), is
// what the whole stack (worker, PostgreSQL, Redis, the fake API) sustains on a 2-core machine with room
// to spare; at --rate 1000 such a machine runs out of CPU at about 650/s (see the README figures). DATABASE_URL / REDIS_URL: use those servers
// (a fresh database is created on DATABASE_URL's server); otherwise throwaway ones are started.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDatabase, type Database } from "../src/db/client.ts";
import { cancelBroadcast, createBroadcast } from "../src/features/broadcast/service.ts";
import { importUnits } from "../src/features/units.ts";
import { createLogger } from "../src/logging/logger.ts";
import { createQueueSet, type QueueSet } from "../src/queue/queues.ts";
import { redisReady, startRedis, type RedisHandle } from "../src/queue/redis.ts";
import { createDatabaseOn, startPostgres, type PostgresServer } from "../tests/helpers/postgres-server.ts";
import { RatedFakeTelegram } from "./fake-telegram-rated.ts";

const { values: opts } = parseArgs({
  options: {
    recipients: { type: "string", default: "100000" },
    rate: { type: "string", default: "500" },
    concurrency: { type: "string", default: "16" },
    "error-rate": { type: "string", default: "0.002" },
    "lock-ms": { type: "string", default: "5000" },
    workers: { type: "string", default: "2" },
    "no-kill": { type: "boolean", default: false },
    "fan-out-only": { type: "boolean", default: false },
  },
});
const N = Number(opts.recipients);
const RATE = Number(opts.rate);
const CONCURRENCY = Number(opts.concurrency);
const ERROR_RATE = Number(opts["error-rate"]);
const LOCK_MS = Number(opts["lock-ms"]);
const WORKERS = Number(opts.workers);
const COMMUNES = 50;
const root = path.resolve(import.meta.dirname, "..");
const work = mkdtempSync(path.join(tmpdir(), "troly06-bench-broadcast-"));
const log = createLogger("silent");
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function freshDatabaseUrl(): Promise<{ url: string; server?: PostgresServer }> {
  let serverUrl = process.env.DATABASE_URL;
  let server: PostgresServer | undefined;
  if (!serverUrl) {
    server = startPostgres(await freePort());
    serverUrl = server.url;
  }
  return { url: await createDatabaseOn(serverUrl, "bench"), ...(server ? { server } : {}) };
}

/** The district "B450" with COMMUNES communes; N subscribed citizens spread over them, plus 2% who must not be reached. */
async function seed(db: Database): Promise<void> {
  const units = [
    { code: "B44", name: "Tỉnh Bench", level: "PROVINCE" as const, parent_code: undefined },
    { code: "B450", name: "Huyện Bench", level: "DISTRICT" as const, parent_code: "B44" },
    { code: "B451", name: "Huyện Khác", level: "DISTRICT" as const, parent_code: "B44" },
    { code: "B9999", name: "Xã Khác", level: "COMMUNE" as const, parent_code: "B451" },
    ...Array.from({ length: COMMUNES }, (_, i) => ({ code: `B${1000 + i}`, name: `Xã Bench ${i + 1}`, level: "COMMUNE" as const, parent_code: "B450" })),
  ];
  const result = await importUnits(db.prisma, units);
  if (result.errors.length) throw new Error(JSON.stringify(result.errors));
  const extra = Math.ceil(N * 0.02);
  const total = N + extra;
  await db.sql.exec(`INSERT INTO person (display_name) SELECT NULL FROM generate_series(1, ${total})`);
  await db.sql.exec(
    `INSERT INTO channel_identity (channel, external_user_id, chat_id, person_id)
     SELECT 'TELEGRAM', (10000000 + p.id)::text, (10000000 + p.id)::text, p.id FROM person p ORDER BY p.id`,
  );
  // The last `extra` identities: a third opted out, a third blocked the bot, a third in another district.
  await db.sql.exec(
    `INSERT INTO subscription (identity_id, unit_code, source, opted_out_at)
     SELECT ci.id,
            CASE WHEN ci.id > ${N} AND ci.id % 3 = 2 THEN 'B9999' ELSE 'B' || (1000 + ci.id % ${COMMUNES})::text END,
            'QR',
            CASE WHEN ci.id > ${N} AND ci.id % 3 = 0 THEN now() ELSE NULL END
     FROM channel_identity ci`,
  );
  await db.sql.exec(`UPDATE channel_identity SET unreachable_at = now() WHERE id > ${N} AND id % 3 = 1`);
  await db.sql.exec("ANALYZE");
}

interface Env {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  fake: RatedFakeTelegram;
}

/** Worker processes alive now: killed if the bench itself is interrupted. */
const liveWorkers = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void> | void> = [];
async function cleanUp(): Promise<void> {
  for (const worker of liveWorkers) worker.kill("SIGKILL");
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((e: unknown) => console.error(e));
  cleanups.length = 0;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the workers and the servers this bench started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

let workerNo = 0;
async function startWorker(env: Env, extra: Record<string, string> = {}): Promise<ChildProcess> {
  const logFile = path.join(work, `worker-${++workerNo}.log`);
  // BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": extra node flags for the worker processes.
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "tests/helpers/broadcast-worker.ts"], {
    cwd: root,
    env: {
      ...process.env,
      BW_DATABASE_URL: env.databaseUrl,
      BW_REDIS_URL: env.redisUrl,
      BW_PREFIX: env.prefix,
      BW_API_ROOT: env.fake.url,
      BW_RATE: String(RATE),
      BW_CONCURRENCY: String(CONCURRENCY),
      BW_LOCK_MS: String(LOCK_MS),
      BW_BATCH: "1000",
      BW_BACKOFF_MS: "500",
      ...extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  liveWorkers.add(child);
  child.once("exit", () => liveWorkers.delete(child));
  const out = createWriteStream(logFile);
  child.stderr!.pipe(out);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out.write(chunk);
      if (chunk.toString().includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}; see ${logFile}`)));
  });
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}

/** The fan-out alone (nothing is sent), then a cancel that takes the 100k queued messages off the queue. */
async function fanOutOnly(db: Database, queues: QueueSet, env: Env): Promise<{ fanOutSec: number; cancelSec: number; removed: number }> {
  const worker = await startWorker(env, { BW_NO_SEND: "1" });
  const created = await createBroadcast(
    { prisma: db.prisma, queues, outbox: { canSend: (c) => c === "telegram" } },
    { unitCode: "B450", audience: "CITIZENS", channels: ["telegram"], text: "Thông báo thử tải (fan-out only)", by: { personId: null, label: "bench" } },
  );
  if (!created.ok) throw new Error("broadcast not created");
  const id = created.broadcast.id;
  let b = await db.prisma.broadcast.findUniqueOrThrow({ where: { id } });
  while (!b.expandedAt) {
    await sleep(100);
    b = await db.prisma.broadcast.findUniqueOrThrow({ where: { id } });
  }
  const fanOutSec = (b.expandedAt.getTime() - (b.startedAt ?? b.createdAt).getTime()) / 1000;
  const outboxQueue = queues.queue("outbox-telegram");
  const queuedCount = async () => Object.values(await outboxQueue.getJobCounts("wait", "prioritized", "delayed")).reduce((a, b) => a + b, 0);
  const queued = await queuedCount();
  const cancelStart = Date.now();
  const result = await cancelBroadcast({ prisma: db.prisma, queues }, id, { personId: null, label: "bench" });
  if (!result.ok) throw new Error("cancel failed");
  while ((await queuedCount()) > 0) await sleep(100);
  const cancelSec = (Date.now() - cancelStart) / 1000;
  await kill(worker, "SIGTERM");
  return { fanOutSec, cancelSec, removed: queued };
}

interface RunResult {
  label: string;
  fanOutSec: number;
  sendSec: number;
  achieved: number;
  sent: number;
  overLimit429: number;
  scripted429: number;
  errors5xx: number;
  duplicates: number;
  lost: number;
  uncertain: number;
  uncertainArrived: number;
  failed: number;
  totalSec: number;
  kills: string[];
}

async function startWorkers(env: Env): Promise<ChildProcess[]> {
  return Promise.all(Array.from({ length: WORKERS }, () => startWorker(env)));
}

async function killAll(workers: ChildProcess[], signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  await Promise.all(workers.map((w) => kill(w, signal)));
}

async function run(label: string, db: Database, queues: QueueSet, env: Env, killing: boolean): Promise<RunResult> {
  env.fake.reset([Math.floor(N * 0.25), Math.floor(N * 0.5), Math.floor(N * 0.75)]);
  let workers = await startWorkers(env);
  const kills: string[] = [];
  const started = Date.now();
  const created = await createBroadcast(
    { prisma: db.prisma, queues, outbox: { canSend: (c) => c === "telegram" } },
    { unitCode: "B450", audience: "CITIZENS", channels: ["telegram"], text: `Thông báo thử tải (${label})`, by: { personId: null, label: "bench" } },
  );
  if (!created.ok) throw new Error("broadcast not created");
  const id = created.broadcast.id;
  if (created.preview.total !== N) throw new Error(`audience is ${created.preview.total}, expected ${N}`);
  const row = () => db.prisma.broadcast.findUniqueOrThrow({ where: { id } });
  let lastReport = Date.now();
  const progress = async () => {
    if (Date.now() - lastReport < 10_000) return;
    lastReport = Date.now();
    const b = await row();
    console.log(`  … ${label}: ${fmt((Date.now() - started) / 1000, 0)} s, fanned out ${b.expandedAt ? "all" : `to id ${fmt(b.expandCursor)}`}, platform accepted ${fmt(env.fake.accepted)}`);
  };
  if (killing) {
    while ((await row()).expandCursor < N * 0.3 && !(await row()).expandedAt) await sleep(20);
    const b = await row();
    await killAll(workers);
    kills.push(`during the fan-out (cursor ${fmt(b.expandCursor)}, ${b.expandedAt ? "already complete" : "incomplete"}, platform had ${fmt(env.fake.accepted)})`);
    workers = await startWorkers(env);
    while (env.fake.accepted < N * 0.5) {
      await progress();
      await sleep(50);
    }
    kills.push(`while sending (platform had ${fmt(env.fake.accepted)})`);
    await killAll(workers);
    workers = await startWorkers(env);
  }
  while ((await row()).status !== "DONE") {
    await progress();
    await sleep(200);
  }
  const totalSec = (Date.now() - started) / 1000;
  const b = await row();
  await killAll(workers, "SIGTERM");

  const deliveries = await db.prisma.$queryRawUnsafe<Array<{ chat_id: string; status: string; last_error: string | null }>>(
    `SELECT ci.chat_id, d.status::text AS status, d.last_error FROM broadcast_delivery d JOIN channel_identity ci ON ci.id = d.identity_id WHERE d.broadcast_id = $1`,
    id,
  );
  const perChat = env.fake.perChat;
  const uncertain = deliveries.filter((d) => d.last_error === "uncertain");
  const lost = deliveries.filter((d) => !perChat.has(d.chat_id) && d.last_error !== "uncertain" && d.status !== "UNREACHABLE").length;
  const expected = new Set(deliveries.map((d) => d.chat_id));
  const strangers = [...perChat.keys()].filter((chat) => !expected.has(chat)).length;
  if (strangers) throw new Error(`${strangers} chats outside the audience got the message`);
  const sendSec = (env.fake.lastAcceptedAt - env.fake.firstAcceptedAt) / 1000;
  return {
    label,
    fanOutSec: ((b.expandedAt?.getTime() ?? 0) - (b.startedAt ?? b.createdAt).getTime()) / 1000,
    sendSec,
    achieved: env.fake.accepted / Math.max(0.001, sendSec),
    sent: env.fake.accepted,
    overLimit429: env.fake.overLimit429,
    scripted429: env.fake.scripted429,
    errors5xx: env.fake.errors5xx,
    duplicates: [...perChat.values()].filter((n) => n > 1).length,
    lost: lost + (deliveries.length < N ? N - deliveries.length : 0),
    uncertain: uncertain.length,
    uncertainArrived: uncertain.filter((d) => perChat.has(d.chat_id)).length,
    failed: deliveries.filter((d) => d.status === "FAILED" && d.last_error !== "uncertain").length,
    totalSec,
    kills,
  };
}

async function main(): Promise<void> {
  console.log(`bench:broadcast — ${fmt(N)} recipients; fake Telegram Bot API enforces ${fmt(RATE)}/s, adapter limiter ${fmt(RATE)}/s,`);
  console.log(`  ${WORKERS} worker process(es), outbox concurrency ${CONCURRENCY} each, random 502 on ${(ERROR_RATE * 100).toFixed(1)}% of sends, 3 scripted 429 (retry_after 1 s), worker lock ${LOCK_MS} ms`);
  try {
    const { url: databaseUrl, server } = await freshDatabaseUrl();
    if (server) cleanups.push(() => server.stop());
    let redis: RedisHandle | undefined;
    const redisUrl = process.env.REDIS_URL ?? (redis = await startRedis({ dataDir: path.join(work, "redis") })).url;
    if (redis) cleanups.push(async () => {
      await redis!.stop();
      rmSync(path.join(work, "redis"), { recursive: true, force: true });
    });
    const db = await openDatabase({ databaseUrl });
    cleanups.push(() => db.close());
    await db.migrate();
    const seedStart = Date.now();
    await seed(db);
    console.log(`  seeded ${fmt(N)} subscribed citizens (+${fmt(Math.ceil(N * 0.02))} opted out, blocked or elsewhere) in ${fmt((Date.now() - seedStart) / 1000, 1)} s`);
    const prefix = `bench-${randomBytes(3).toString("hex")}`;
    const queues = createQueueSet(redisUrl, log, prefix);
    cleanups.push(() => queues.close(1000));
    await redisReady(queues.redis);
    const fake = await new RatedFakeTelegram({ rate: RATE, errorRate: ERROR_RATE, scripted429At: [] }).start();
    cleanups.push(() => fake.close());
    const env: Env = { databaseUrl, redisUrl, prefix, fake };

    const alone = await fanOutOnly(db, queues, env);
    console.log(
      `  fan-out alone (nothing sent meanwhile): ${fmt(N)} deliveries written and messages queued in ${fmt(alone.fanOutSec, 1)} s; ` +
        `then cancelled: ${fmt(alone.removed)} queued messages taken off the queue in ${fmt(alone.cancelSec, 1)} s`,
    );
    if (opts["fan-out-only"]) return;
    const results = [await run("clean run", db, queues, env, false)];
    if (!opts["no-kill"]) results.push(await run("killed ×2 + restarted", db, queues, env, true));

    const rows: Array<[string, (r: RunResult) => string]> = [
      ["fan-out: expand + enqueue", (r) => `${fmt(r.fanOutSec, 1)} s${r.kills.length ? " (incl. kill + restart)" : ""}`],
      ["messages accepted by platform", (r) => fmt(r.sent)],
      ["send time (first → last)", (r) => `${fmt(r.sendSec, 1)} s`],
      ["achieved rate", (r) => `${fmt(r.achieved)}/s = ${(r.achieved / RATE).toFixed(3)} of limit`],
      ["429 answered: over limit / scripted", (r) => `${r.overLimit429} / ${r.scripted429}`],
      ["502 answered (retried)", (r) => fmt(r.errors5xx)],
      ["duplicates", (r) => fmt(r.duplicates)],
      ["lost", (r) => fmt(r.lost)],
      ["uncertain (of which arrived)", (r) => `${r.uncertain} (${r.uncertainArrived})`],
      ["failed for good", (r) => fmt(r.failed)],
      ["total wall time", (r) => `${fmt(r.totalSec, 1)} s`],
    ];
    const width = Math.max(...rows.map(([name]) => name.length)) + 2;
    const col = 34;
    console.log("");
    console.log(`| ${"".padEnd(width)} | ${results.map((r) => r.label.padEnd(col)).join(" | ")} |`);
    console.log(`|${"-".repeat(width + 2)}|${results.map(() => "-".repeat(col + 2)).join("|")}|`);
    for (const [name, value] of rows) console.log(`| ${name.padEnd(width)} | ${results.map((r) => value(r).padEnd(col)).join(" | ")} |`);
    for (const r of results) for (const k of r.kills) console.log(`  ${r.label}: killed ${k}`);
    const clean = results[0]!;
    console.log("");
    console.log(
      `targets: enqueue 100k < 15 s: ${alone.fanOutSec < 15 ? "met" : "NOT met"} alone, ${clean.fanOutSec < 15 ? "met" : "NOT met"} while sending; achieved ≥ 0.9 of limit: ${clean.achieved / RATE >= 0.9 ? "met" : "NOT met"}; ` +
        `0 duplicates: ${results.every((r) => r.duplicates === 0) ? "met" : "NOT met"}; 0 lost: ${results.every((r) => r.lost === 0) ? "met" : "NOT met"}`,
    );
    console.log(`worker logs: ${work}`);
  } finally {
    await cleanUp();
  }
}

await main();
process.exit(0);
