// npm run bench:web — the web chat under load, and the page on a slow phone network.
//
// Starts the whole app (`src/main.ts`) as a child process on a throwaway PostgreSQL cluster and Redis
// (or DATABASE_URL / REDIS_URL; a fresh database is created on that server), then:
// - burst: opens BENCH_SESSIONS (default 1,000) web sessions at once, as pages do: GET /chat (cookie,
//   CSRF token), the greeting, an open event stream (GET /chat/api/events), then BENCH_QUESTIONS (default 2)
//   questions each, one after the other, all sessions concurrently; reply time is measured per question;
// - paced: the same number of sessions at a human pace: each opens within the first BENCH_PACED_SPREAD_S
//   (10) seconds, then asks BENCH_PACED_QUESTIONS (4) questions, each after a pause of 5–15 s (random);
//   BENCH_MODE=burst|paced|both (default both);
// - memory per session: the server's peak RSS (read from /proc) with the sessions open, minus its RSS before;
// - database transactions (pg_stat_database) and Redis commands (INFO) per turn, over the whole server;
// - weight: the bytes the server sends gzipped for the page (its style inlined), its script, and the widget;
// - first render: Debian's chromium (playwright-core) opens /chat with the network throttled through
//   the DevTools protocol to "slow 3G" (400 kbit/s both ways, 400 ms round trip) and a fresh cache; the
//   first contentful paint from the page's own Performance entries, median of BENCH_RENDERS (default 3).
// Prints a table; nothing asserts. Targets: p99 < 1 s per question, page < 100 kB and widget < 30 kB
// gzipped, first render < 1 s on slow 3G.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { chromium } from "playwright-core";
import { startRedis, type RedisHandle } from "../src/queue/redis.ts";
import { createDatabaseOn, startPostgres, type PostgresServer } from "../tests/helpers/postgres-server.ts";

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
const QUESTIONS = Number(process.env.BENCH_QUESTIONS ?? 2);
const RENDERS = Number(process.env.BENCH_RENDERS ?? 3);
const PACED_QUESTIONS = Number(process.env.BENCH_PACED_QUESTIONS ?? 4);
const PACED_SPREAD_S = Number(process.env.BENCH_PACED_SPREAD_S ?? 10);
/** burst, paced or both. */
const MODE = process.env.BENCH_MODE ?? "both";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Citizens' questions, written for this benchmark (answers from the FAQ, a guide, and a follow-up).
const ASKED = ["cách kích hoạt tài khoản định danh điện tử", "làm thẻ căn cước cho trẻ em cần gì", "đổi căn cước ở đâu", "quên mật khẩu vneid thì làm sao"];

const work = mkdtempSync(path.join(tmpdir(), "troly06-bench-web-"));
const cleanups: Array<() => Promise<void> | void> = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) * 1024;
}

/** The bytes the server sends for a path when the client accepts gzip (the body as it travels). */
function wireBytes(url: string): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { "accept-encoding": "gzip" } }, (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => (bytes += chunk.length));
        res.on("end", () => resolve({ bytes, encoding: String(res.headers["content-encoding"] ?? "none") }));
      })
      .on("error", reject);
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(0)} ms`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  // BENCH_NODE_ARGS: extra flags for the app's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const extra = (process.env.BENCH_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, "--import", "tsx", "src/main.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) return { child, url };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the app did not start within 2 minutes");
}

interface Session {
  cookie: string;
  csrf: string;
  stream?: AbortController;
}

async function openSession(url: string): Promise<Session> {
  const page = await fetch(`${url}/chat`);
  const html = await page.text();
  if (!page.ok) throw new Error(`GET /chat: ${page.status}`);
  return { cookie: page.headers.get("set-cookie")!.split(";")[0]!, csrf: /name="csrf-token" content="([^"]+)"/.exec(html)![1]! };
}

async function say(url: string, s: Session, body: unknown): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/chat/api/message`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: s.cookie, "x-csrf-token": s.csrf, origin: url },
    body: JSON.stringify(body),
  });
  const data = (await response.json()) as { entries?: Array<{ from: string; replies?: Array<{ text: string }> }> };
  const took = performance.now() - started;
  if (!response.ok || !data.entries?.some((e) => e.from === "bot" && e.replies?.[0]?.text)) throw new Error(`no answer (HTTP ${response.status})`);
  return took;
}

async function openStream(url: string, s: Session): Promise<void> {
  s.stream = new AbortController();
  const response = await fetch(`${url}/chat/api/events`, { headers: { cookie: s.cookie }, signal: s.stream.signal });
  if (!response.ok) throw new Error(`event stream: ${response.status}`);
  // Read (and drop) what comes, as a page would; the stream ends when aborted.
  const reader = response.body!.getReader();
  void (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // aborted
    }
  })();
}

async function firstRender(url: string): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    const profile = mkdtempSync(path.join(work, "chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      locale: "vi-VN",
    });
    try {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      // "Slow 3G": 400 kbit/s down and up, 400 ms added to every request's round trip.
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 });
      // A new origin each time (a fresh profile): the TCP connection is part of what a phone waits for.
      await page.goto(`${url}/chat?unit=19123`, { waitUntil: "load", timeout: 60_000 });
      const fcp = await page.evaluate(
        `new Promise((resolve) => {
          const find = () => performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint");
          const seen = find();
          if (seen) return resolve(seen.startTime);
          new PerformanceObserver((list) => {
            const e = list.getEntries().find((x) => x.name === "first-contentful-paint");
            if (e) resolve(e.startTime);
          }).observe({ type: "paint", buffered: true });
        })`,
      );
      results.push(Number(fcp));
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
  return results;
}

interface Phase {
  name: string;
  times: number[];
  failures: number;
  asked: number;
  wall: number;
  rssBefore: number;
  rssPeak: number;
  /** Database transactions and Redis commands per question turn (whole server, so approximate). */
  dbPerTurn: number;
  redisPerTurn: number;
}

/** Why questions failed (the message of each error, counted), printed under the table. */
const failed = new Map<string, number>();
function noteFailure(error: unknown): void {
  const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  failed.set(cause, (failed.get(cause) ?? 0) + 1);
}

const random = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

/** Asks the n-th question of the list (round robin); its reply time goes into `times`. False when it failed. */
async function ask(url: string, s: Session, n: number, times: number[]): Promise<boolean> {
  try {
    times.push(await say(url, s, { text: ASKED[n % ASKED.length]! }));
    return true;
  } catch (error) {
    noteFailure(error);
    return false;
  }
}

/** Counters of the database and Redis the app uses, to divide by the turns of a phase. */
async function counters(db: pg.Client, redis: Redis): Promise<{ xacts: number; commands: number }> {
  // Statistics reach pg_stat_database when backends report (at most every second or so): wait for them.
  await sleep(1500);
  const row = await db.query<{ x: string }>("SELECT xact_commit + xact_rollback AS x FROM pg_stat_database WHERE datname = current_database()");
  const info = await redis.info("stats");
  return { xacts: Number(row.rows[0]?.x ?? 0), commands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0) };
}

/** All sessions at once: page, greeting, stream, then QUESTIONS questions back to back per session. */
async function burst(url: string, pid: number, db: pg.Client, redis: Redis): Promise<Phase & { greetings: number[] }> {
  const rssBefore = rssOf(pid);
  const started = performance.now();
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => openSession(url)));
  const greetings = await Promise.all(sessions.map((s) => say(url, s, { start: {} })));
  await Promise.all(sessions.map((s) => openStream(url, s)));
  const before = await counters(db, redis);
  const times: number[] = [];
  let failures = 0;
  await Promise.all(
    sessions.map(async (s, i) => {
      for (let q = 0; q < QUESTIONS; q++) {
        if (!(await ask(url, s, i + q, times))) failures++;
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  const rssPeak = rssOf(pid);
  const after = await counters(db, redis);
  for (const s of sessions) s.stream?.abort();
  const turns = times.length + failures;
  return {
    name: "burst",
    times,
    failures,
    asked: SESSIONS * QUESTIONS,
    wall,
    rssBefore,
    rssPeak,
    greetings,
    dbPerTurn: (after.xacts - before.xacts) / turns,
    redisPerTurn: (after.commands - before.commands) / turns,
  };
}

/**
 * People at a human pace: each session opens within the first PACED_SPREAD_S seconds (page, greeting,
 * stream), then asks PACED_QUESTIONS questions, each after a pause drawn evenly from 5–15 s.
 */
async function paced(url: string, pid: number, db: pg.Client, redis: Redis): Promise<Phase> {
  const rssBefore = rssOf(pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(pid))), 1000);
  const before = await counters(db, redis);
  const started = performance.now();
  const times: number[] = [];
  let failures = 0;
  let greetings = 0;
  const sessions: Session[] = [];
  await Promise.all(
    Array.from({ length: SESSIONS }, async (_, i) => {
      await sleep(random(0, PACED_SPREAD_S * 1000));
      let s: Session;
      try {
        s = await openSession(url);
        sessions.push(s);
        await say(url, s, { start: {} });
        greetings++;
        await openStream(url, s);
      } catch (error) {
        failures += PACED_QUESTIONS;
        noteFailure(error);
        return;
      }
      for (let q = 0; q < PACED_QUESTIONS; q++) {
        await sleep(random(5_000, 15_000));
        if (!(await ask(url, s, i + q, times))) failures++;
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, rssOf(pid));
  const after = await counters(db, redis);
  for (const s of sessions) s.stream?.abort();
  // Greetings are turns too (counted in the database's and Redis's figures).
  const turns = times.length + failures + greetings;
  return {
    name: "paced",
    times,
    failures,
    asked: SESSIONS * PACED_QUESTIONS,
    wall,
    rssBefore,
    rssPeak,
    dbPerTurn: (after.xacts - before.xacts) / turns,
    redisPerTurn: (after.commands - before.commands) / turns,
  };
}

async function main(): Promise<void> {
  const modes = MODE === "both" ? ["burst", "paced"] : [MODE];
  console.log(
    `bench:web — ${SESSIONS} concurrent web sessions on one instance: ${modes.join(" and ")} (burst: ${QUESTIONS} questions back to back; paced: ${PACED_QUESTIONS} questions, one every 5–15 s, sessions starting over ${PACED_SPREAD_S} s); first render on slow 3G (${RENDERS} runs)`,
  );
  let server: PostgresServer | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    server = startPostgres(await freePort());
    cleanups.push(() => server!.stop());
    serverUrl = server.url;
  }
  const databaseUrl = await createDatabaseOn(serverUrl, "benchweb");
  let redisHandle: RedisHandle | undefined;
  const redisUrl = process.env.REDIS_URL ?? (redisHandle = await startRedis({ dataDir: path.join(work, "redis") })).url;
  if (redisHandle) cleanups.push(() => redisHandle!.stop());

  const app = await startServer({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    DATA_DIR: path.join(work, "data"),
    LOG_LEVEL: "silent",
    UNIT_LIST: "none",
    // One client address for every session: the per-IP limit would stop the benchmark, not a town.
    WEB_RATE_LIMIT_PER_IP_MINUTE: "1000000",
    RATE_LIMIT_PER_MINUTE: "1000",
    TELEGRAM_BOT_TOKEN: "",
    ZALO_BOT_TOKEN: "",
  });
  const pid = app.child.pid!;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  cleanups.push(async () => {
    await db.end().catch(() => undefined);
    redis.disconnect();
  });
  // Warm up (the first turns load the FAQ index and compile queries), then take the baseline.
  const warm = await openSession(app.url);
  for (const q of ASKED) await say(app.url, warm, { text: q });
  await sleep(500);

  const phases: Phase[] = [];
  let greetings: number[] = [];
  for (const mode of modes) {
    if (mode === "burst") {
      const b = await burst(app.url, pid, db, redis);
      greetings = b.greetings.sort((x, y) => x - y);
      phases.push(b);
    } else {
      phases.push(await paced(app.url, pid, db, redis));
    }
    await sleep(2000); // the streams close, the server settles
  }

  const page = await wireBytes(`${app.url}/chat`);
  const html = await fetch(`${app.url}/chat`).then((r) => r.text());
  const js = await wireBytes(`${app.url}${/src="([^"]+chat\.js[^"]*)"/.exec(html)![1]}`);
  const widget = await wireBytes(`${app.url}/widget.js`);
  const renders = RENDERS > 0 ? await firstRender(app.url) : [];
  const fcp = renders.length ? [...renders].sort((a, b) => a - b)[Math.floor(renders.length / 2)]! : NaN;
  const pageTotal = page.bytes + js.bytes;

  const rows: Array<[string, string, string]> = [];
  for (const p of phases) {
    p.times.sort((a, b) => a - b);
    const p99 = quantile(p.times, 0.99);
    rows.push(
      [`${p.name}: questions answered`, `${p.times.length} of ${p.asked} (${p.failures} failed) in ${p.wall.toFixed(1)} s (${(p.times.length / p.wall).toFixed(1)}/s)`, ""],
      [`${p.name}: question reply p50 / p99 / max`, `${ms(quantile(p.times, 0.5))} / ${ms(p99)} / ${ms(p.times.at(-1) ?? NaN)}`, p99 < 1000 ? "p99 < 1 s ✓" : "p99 < 1 s ✗"],
      [`${p.name}: server RSS before / peak`, `${mb(p.rssBefore)} / ${mb(p.rssPeak)}`, ""],
      [`${p.name}: memory per session (open stream)`, kb((p.rssPeak - p.rssBefore) / SESSIONS), ""],
      [`${p.name}: database transactions / Redis commands per turn (≈)`, `${p.dbPerTurn.toFixed(1)} / ${p.redisPerTurn.toFixed(1)}`, ""],
    );
    if (p.name === "burst") rows.push(["burst: greeting reply p50 / p99", `${ms(quantile(greetings, 0.5))} / ${ms(quantile(greetings, 0.99))}`, ""]);
  }
  rows.push(
    [`page (HTML with its style ${page.bytes} B ${page.encoding}, chat.js ${js.bytes} B ${js.encoding})`, kb(pageTotal), pageTotal < 100 * 1024 ? "< 100 kB ✓" : "< 100 kB ✗"],
    [`widget.js (${widget.encoding})`, kb(widget.bytes), widget.bytes < 30 * 1024 ? "< 30 kB ✓" : "< 30 kB ✗"],
  );
  if (renders.length) {
    rows.push(["first contentful paint, slow 3G (median)", `${ms(fcp)} (runs: ${renders.map((r) => r.toFixed(0)).join(", ")})`, fcp < 1000 ? "< 1 s ✓" : "< 1 s ✗"]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`| ${"measure".padEnd(w0)} | ${"figure".padEnd(w1)} | target |`);
  console.log(`|${"-".repeat(w0 + 2)}|${"-".repeat(w1 + 2)}|--------|`);
  for (const [a, b, c] of rows) console.log(`| ${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c} |`);
  for (const [cause, n] of failed) console.log(`failed: ${n} × ${cause}`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores`);
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
