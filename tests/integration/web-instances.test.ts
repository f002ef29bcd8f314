// Two app instances on one PostgreSQL and one Redis (as behind a load balancer without sticky sessions):
// a web citizen's event stream is open on instance A while instance B stores a message for them (B's
// outbox worker sends an officer's answer). The entry reaches the page on A through Redis at once, not at
// the stream's slow fallback poll (15 s by default).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";

describe("web chat on two instances", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-web-two-"));
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    const env = {
      DATA_DIR: dir,
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      WEB_SESSION_SECRET: "a-secret-both-instances-share-0123456789",
      // Instances of one bot share their queues (testConfig gives every app its own otherwise).
      QUEUE_PREFIX: `test-two-${process.pid}`,
      SHUTDOWN_GRACE_MS: "1000",
    };
    a = await startApp(testConfig(env), createLogger("silent"));
    b = await startApp(testConfig(env), createLogger("silent"));
  }, 120_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pushes an entry stored by instance B to the event stream open on instance A within a second or two", async () => {
    const page = await fetch(`${a.url}/chat`);
    const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
    const sid = cookie.split("=")[1]!.split(".")[0]!;
    // The same cookie is good on B (one signing key): the session is not tied to an instance.
    expect((await fetch(`${b.url}/chat/api/history`, { headers: { cookie } })).status).toBe(200);

    const controller = new AbortController();
    const events = await fetch(`${a.url}/chat/api/events`, { headers: { cookie }, signal: controller.signal });
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = events.body!.getReader();
    let received = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      while (!received.includes("event: entry")) {
        const { value, done } = await reader.read();
        if (done) break;
        received += decoder.decode(value, { stream: true });
      }
    })();
    // Let the stream subscribe (its first read of the transcript) before B stores anything.
    await new Promise((r) => setTimeout(r, 300));

    const startedAt = Date.now();
    await b.channels.get("web")!.send(sid, [{ text: "Cán bộ xã trả lời: chiều thứ Sáu có làm căn cước." }]);
    await Promise.race([reading, new Promise((_, reject) => setTimeout(() => reject(new Error(`nothing on A within 4 s; got ${received}`)), 4_000))]);
    const elapsed = Date.now() - startedAt;
    controller.abort();
    expect(received).toContain("chiều thứ Sáu có làm căn cước");
    expect(elapsed).toBeLessThan(4_000);
  }, 30_000);
});
