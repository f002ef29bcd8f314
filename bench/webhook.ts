// npm run bench:webhook — bursts of Telegram webhook updates against 1 and 2 app instances.
//
// Starts a throwaway PostgreSQL cluster and a Redis (or uses DATABASE_URL / REDIS_URL: a fresh database
// is created on that server for every run), the fake Telegram Bot API of the tests, and the app
// (`src/main.ts`, webhook mode) as one or two child processes sharing them. The bench plays Telegram:
// BENCH_SIZES (default 500,2000) citizens each send one question at the same instant, spread round-robin
// over the instances; an update answered with anything but 200 (503, no answer, connection refused) is
// delivered again after BENCH_REDELIVER_MS (default 1,000 ms), doubling up to 16 × that, to a live
// instance, until acknowledged.
// Per citizen, the reply time is from the first delivery to the first sendMessage the fake receives
// for that chat. Then the kill run: 2 instances, BENCH_KILL_SIZE (default 2,000) citizens, and the first
// instance SIGKILLed once a quarter of the chats have their answer; its unacknowledged updates are
// re-delivered to the survivor, which answers them once their lease (UPDATE_LEASE_SECONDS = 10 here)
// has expired.
// Prints one table: answered, lost (no complete answer), duplicates (a message more than the answer
// has), p50/p99/max reply time, turns/s (citizens answered / time to the last answer). Nothing asserts.
// Targets: 0 lost and 0 duplicates in every run; p50 < 1 s and p99 < 3 s for 500 at once on one
// instance; 2 instances ≥ 1.6 × the turns/s of one.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startRedis, type RedisHandle } from "../src/queue/redis.ts";
import { FakeTelegram } from "../tests/helpers/fake-telegram.ts";
import { createDatabaseOn, startPostgres, type PostgresServer } from "../tests/helpers/postgres-server.ts";

const SIZES = (process.env.BENCH_SIZES ?? "500,2000").split(",").map(Number);
const INSTANCES = (process.env.BENCH_INSTANCES ?? "1,2").split(",").map(Number);
const KILL_SIZE = Number(process.env.BENCH_KILL_SIZE ?? 2000);
const REDELIVER_MS = Number(process.env.BENCH_REDELIVER_MS ?? 1000);
const TOKEN = "123456789:AAbenchTOKENbenchTOKENbenchTOKEN_x";
const SECRET = "bench-webhook-secret-0123";
// Citizens' questions, written for this benchmark.
const QUESTIONS = ["kích hoạt tài khoản định danh mức 2 thế nào", "làm lại căn cước bị mất ở đâu", "quên mật khẩu vneid", "xin chào"];

const work = mkdtempSync(path.join(tmpdir(), "troly06-bench-webhook-"));
const cleanups: Array<() => Promise<void> | void> = [];
// Many connections at once to the instances, as Telegram opens them: no pooling limit.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Instance {
  child: ChildProcess;
  url: string;
  alive: boolean;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  // BENCH_PROFILE=dir: each instance writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", "src/main.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const instance: Instance = { child, url: `http://127.0.0.1:${port}`, alive: true };
  child.once("exit", () => (instance.alive = false));
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
    if (await fetch(`${instance.url}/readyz`).then((r) => r.ok, () => false)) return instance;
    await sleep(200);
  }
  throw new Error("the app did not start within 2 minutes");
}

async function stopInstance(instance: Instance): Promise<void> {
  if (!instance.alive) return;
  const exited = new Promise((resolve) => instance.child.once("exit", resolve));
  instance.child.kill("SIGTERM");
  const timer = setTimeout(() => instance.child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

let nextUpdateId = 1;
let nextChat = 10_000_000;
function update(chat: number, text: string): Record<string, unknown> {
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: nextUpdateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: "private", first_name: "Dân" },
      from: { id: chat, is_bot: false, first_name: "Dân", language_code: "vi" },
      text,
    },
  };
}

function post(instance: Instance, body: Record<string, unknown>): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const request = http.request(
      `${instance.url}/webhooks/telegram`,
      {
        method: "POST",
        agent,
        timeout: 120_000,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), "x-telegram-bot-api-secret-token": SECRET },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", () => resolve(0));
      },
    );
    // Connection refused or reset (the instance died), or no answer in time: not acknowledged.
    request.on("error", () => resolve(0));
    request.on("timeout", () => request.destroy());
    request.end(payload);
  });
}

interface RunResult {
  citizens: number;
  instances: number;
  killed: boolean;
  answered: number;
  lost: number;
  duplicates: number;
  deliveries: number;
  p50: number;
  p99: number;
  max: number;
  turnsPerSec: number;
}

async function run(options: { citizens: number; instances: number; kill: boolean; fake: FakeTelegram; serverUrl: string; redisUrl: string; run: number }): Promise<RunResult> {
  const { fake } = options;
  const env = {
    DATABASE_URL: await createDatabaseOn(options.serverUrl, "benchhook"),
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: `bench-hook-${options.run}`,
    DATA_DIR: path.join(work, `run-${options.run}`),
    UNIT_LIST: "none",
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_MODE: "webhook",
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    RATE_LIMIT_PER_MINUTE: "1000",
    HTTP_RATE_LIMIT_PER_MINUTE: "1000000",
    UPDATE_LEASE_SECONDS: "10",
    SHUTDOWN_GRACE_MS: "2000",
    LOG_LEVEL: "error",
  };
  const instances: Instance[] = [];
  for (let i = 0; i < options.instances; i++) instances.push(await startInstance(env));
  cleanups.push(() => Promise.all(instances.map(stopInstance)).then(() => undefined));
  try {
    // How many messages each question's answer has, from one citizen per question before the burst.
    const expected = new Map<string, number>();
    for (const text of QUESTIONS) {
      const chat = nextChat++;
      const status = await post(instances[0]!, update(chat, text));
      if (status !== 200) throw new Error(`warm-up answered ${status}`);
      expected.set(text, fake.ok("sendMessage").filter((c) => c.params.chat_id === chat).length);
    }

    const chats = Array.from({ length: options.citizens }, (_, i) => ({ chat: nextChat++, text: QUESTIONS[i % QUESTIONS.length]! }));
    const firstReply = new Map<number, number>();
    const sentCount = new Map<number, number>();
    const ours = new Set(chats.map((c) => c.chat));
    const seen = fake.calls.length;
    let scanned = seen;
    const scan = () => {
      for (; scanned < fake.calls.length; scanned++) {
        const call = fake.calls[scanned]!;
        if (call.method !== "sendMessage" || call.status !== 200) continue;
        const chat = Number(call.params.chat_id);
        if (!ours.has(chat)) continue;
        sentCount.set(chat, (sentCount.get(chat) ?? 0) + 1);
        if (!firstReply.has(chat)) firstReply.set(chat, call.at);
      }
    };
    let killedAt = 0;
    const watcher = setInterval(() => {
      scan();
      if (options.kill && !killedAt && firstReply.size >= options.citizens / 4) {
        killedAt = Date.now();
        instances[0]!.child.kill("SIGKILL");
        instances[0]!.alive = false;
      }
    }, 20);

    let deliveries = 0;
    const started = Date.now();
    await Promise.all(
      chats.map(async ({ chat, text }, i) => {
        const body = update(chat, text);
        let target = instances[i % instances.length]!;
        for (let attempt = 0; ; attempt++) {
          if (!target.alive) target = instances.find((x) => x.alive)!;
          deliveries++;
          const status = await post(target, body);
          if (status === 200) return;
          if (Date.now() - started > 300_000) return; // give up: counted as lost below
          // Backing off as a platform does: 1, 2, 4, 8, 16 s between copies.
          await sleep(REDELIVER_MS * 2 ** Math.min(4, attempt));
          target = instances[(i + attempt + 1) % instances.length]!;
        }
      }),
    );
    await sleep(500);
    clearInterval(watcher);
    scan();

    const times = chats.flatMap(({ chat }) => (firstReply.has(chat) ? [firstReply.get(chat)! - started] : [])).sort((a, b) => a - b);
    if (process.env.BENCH_HISTOGRAM) {
      // Answers per second of the burst: shows whether they come steadily or all at the end.
      const perSecond = new Map<number, number>();
      for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
      console.error([...perSecond].map(([sec, n]) => `${sec}s:${n}`).join(" "));
    }
    let lost = 0;
    let duplicates = 0;
    for (const { chat, text } of chats) {
      const got = sentCount.get(chat) ?? 0;
      const want = expected.get(text)!;
      if (got < want) lost++;
      if (got > want) duplicates += got - want;
    }
    const last = times.at(-1) ?? 0;
    return {
      citizens: options.citizens,
      instances: options.instances,
      killed: options.kill,
      answered: times.length,
      lost,
      duplicates,
      deliveries,
      p50: quantile(times, 0.5),
      p99: quantile(times, 0.99),
      max: last,
      turnsPerSec: times.length / (last / 1000),
    };
  } finally {
    await Promise.all(instances.map(stopInstance));
  }
}

async function main(): Promise<void> {
  let server: PostgresServer | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    server = startPostgres(await freePort(), { shared_buffers: "256MB" });
    serverUrl = server.url;
    cleanups.push(() => server!.stop());
  }
  let redis: RedisHandle | undefined;
  const redisUrl = process.env.REDIS_URL ?? (redis = await startRedis({ dataDir: path.join(work, "redis") })).url;
  if (redis) cleanups.push(() => redis!.stop());
  const fake = await new FakeTelegram().start();
  cleanups.push(() => fake.close());

  const results: RunResult[] = [];
  let runNo = 0;
  for (const citizens of SIZES) {
    for (const instances of INSTANCES) {
      const result = await run({ citizens, instances, kill: false, fake, serverUrl, redisUrl, run: runNo++ });
      results.push(result);
      console.error(`done: ${citizens} citizens on ${instances} instance(s)`);
    }
  }
  if (KILL_SIZE > 0) results.push(await run({ citizens: KILL_SIZE, instances: 2, kill: true, fake, serverUrl, redisUrl, run: runNo++ }));

  const one = new Map(results.filter((r) => r.instances === 1 && !r.killed).map((r) => [r.citizens, r.turnsPerSec]));
  console.log("| citizens at once | instances | answered | lost | duplicates | deliveries | reply p50 | reply p99 | max | turns/s | vs 1 instance |");
  console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    const ratio = r.instances > 1 && one.get(r.citizens) ? `${(r.turnsPerSec / one.get(r.citizens)!).toFixed(2)}×` : "";
    console.log(
      `| ${r.citizens.toLocaleString("en")} | ${r.instances}${r.killed ? ", one SIGKILLed mid-burst" : ""} | ${r.answered} | ${r.lost} | ${r.duplicates} | ${r.deliveries} | ${seconds(r.p50)} | ${seconds(r.p99)} | ${seconds(r.max)} | ${r.turnsPerSec.toFixed(0)} | ${r.killed ? "" : ratio} |`,
    );
  }
}

// Ctrl-C or a timeout's SIGTERM still stops the instances, PostgreSQL and Redis.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void (async () => {
      for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    })();
  });
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  agent.destroy();
  rmSync(work, { recursive: true, force: true });
}
