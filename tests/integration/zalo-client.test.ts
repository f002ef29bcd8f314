// The Zalo API client against a fake Zalo Bot API on loopback (real HTTP through axios).
import net from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ZaloAbortedError,
  ZaloApiError,
  ZaloClient,
  ZaloNetworkError,
  ZaloResponseError,
} from "../../src/channels/zalo/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { FakeZaloApi, zaloTextUpdate } from "../helpers/zalo-fake-api.ts";

const TOKEN = "123456789:client-test-token";
const fastRetry = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 3000 };

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("Zalo API client", () => {
  let fake: FakeZaloApi;
  let client: ZaloClient;
  const logLines: string[] = [];

  beforeAll(async () => {
    fake = await FakeZaloApi.start(TOKEN);
    const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) });
    client = new ZaloClient({ token: TOKEN, apiBase: fake.url, retry: fastRetry, log: createLogger("debug", sink) });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it("calls methods as POST JSON on /bot<token>/<method> and validates results", async () => {
    const me = await client.getMe();
    expect(me).toMatchObject({ id: "1459232241454765289", account_name: "bot.TroLy06" });
    const sent = await client.sendMessage({ chat_id: "chat-1", text: "Xin chào" });
    expect(sent.message_id).toMatch(/^sent-/);
    await client.setWebhook({ url: "https://bot.example.vn/webhooks/zalo", secret_token: "secret-123" });
    expect((await client.getWebhookInfo()).url).toBe("https://bot.example.vn/webhooks/zalo");
    await client.deleteWebhook();
    await client.sendChatAction({ chat_id: "chat-1", action: "typing" });
    await client.sendPhoto({ chat_id: "chat-1", photo: "https://example.vn/a.png", caption: "Ảnh" });
    expect(fake.calls.map((c) => c.method)).toEqual([
      "getMe",
      "sendMessage",
      "setWebhook",
      "getWebhookInfo",
      "deleteWebhook",
      "sendChatAction",
      "sendPhoto",
    ]);
    expect(fake.calls.every((c) => c.token === TOKEN)).toBe(true);
    expect(fake.callsOf("setWebhook")[0]!.body).toEqual({ url: "https://bot.example.vn/webhooks/zalo", secret_token: "secret-123" });
  });

  it("retries a 5xx and then succeeds", async () => {
    fake.script("sendMessage", { status: 502, body: "<html>Bad gateway</html>" }, { status: 500, body: { ok: false, error_code: 500, description: "oops" } });
    const sent = await client.sendMessage({ chat_id: "c", text: "lần ba" });
    expect(sent.message_id).toBeDefined();
    expect(fake.callsOf("sendMessage")).toHaveLength(3);
  });

  it("retries a 429 after the time the platform asks for, then succeeds", async () => {
    fake.script("sendMessage", { status: 429, body: { ok: false, error_code: 429, description: "Quota exceeded", parameters: { retry_after: 0.3 } } });
    const started = Date.now();
    await client.sendMessage({ chat_id: "c", text: "chờ một chút" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(fake.callsOf("sendMessage")).toHaveLength(2);
  });

  it("throws a 429 at once when asked not to wait, with the retry time", async () => {
    fake.script("sendMessage", { status: 200, body: { ok: false, error_code: 429, description: "Quota exceeded" }, headers: { "retry-after": "7" } });
    const error = await client.sendMessage({ chat_id: "c", text: "x" }, { retryRateLimit: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZaloApiError);
    expect((error as ZaloApiError).isRateLimited).toBe(true);
    expect((error as ZaloApiError).retryAfterSec).toBe(7);
    expect(fake.callsOf("sendMessage")).toHaveLength(1);
  });

  it("gives up after a bounded number of attempts", async () => {
    fake.script("getMe", { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    await expect(client.getMe()).rejects.toMatchObject({ name: "ZaloApiError", httpStatus: 503 });
    expect(fake.callsOf("getMe")).toHaveLength(3);
  });

  it("surfaces the platform's error_code and description, without retrying client errors", async () => {
    fake.script("sendMessage", { status: 200, body: { ok: false, error_code: 400, description: "Bad request - text is required" } });
    const error = (await client.sendMessage({ chat_id: "c", text: "x" }).catch((e: unknown) => e)) as ZaloApiError;
    expect(error).toBeInstanceOf(ZaloApiError);
    expect(error.errorCode).toBe(400);
    expect(error.description).toBe("Bad request - text is required");
    expect(error.message).toBe("Zalo sendMessage failed: 400 Bad request - text is required");
    expect(fake.callsOf("sendMessage")).toHaveLength(1);
  });

  it("rejects a malformed API response with a clear error", async () => {
    fake.script("getMe", { body: { ok: true, result: { id: 42, account_name: "x" } } });
    await expect(client.getMe()).rejects.toThrow(/Zalo getMe returned an unexpected response: result\.id: .*string/);
    fake.script("sendMessage", { body: { ok: "yes" } });
    const error = await client.sendMessage({ chat_id: "c", text: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZaloResponseError);
    expect((error as Error).message).toMatch(/sendMessage returned an unexpected response: HTTP 200: body\.ok/);
    fake.script("sendMessage", { body: "not json at all" });
    await expect(client.sendMessage({ chat_id: "c", text: "x" })).rejects.toBeInstanceOf(ZaloResponseError);
  });

  it("retries network errors, then reports them without the token", async () => {
    fake.script("getMe", { drop: true });
    expect((await client.getMe()).id).toBeDefined(); // dropped once, then answered
    const offline = new ZaloClient({ token: TOKEN, apiBase: `http://127.0.0.1:${await closedPort()}`, retry: fastRetry });
    const error = (await offline.getMe().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ZaloNetworkError);
    expect(error.message).toMatch(/Zalo getMe: no answer from the API \(ECONNREFUSED\)/);
    for (const text of [error.message, error.stack ?? "", JSON.stringify(error), ...logLines]) {
      expect(text).not.toContain("client-test-token");
    }
  });

  it("redacts the token from platform descriptions", async () => {
    fake.script("getMe", { status: 404, body: { ok: false, error_code: 404, description: `No route /bot${TOKEN}/getMe` } });
    const error = (await client.getMe().catch((e: unknown) => e)) as ZaloApiError;
    expect(error.description).toBe("No route /bot<token>/getMe");
    expect(error.message).not.toContain("client-test-token");
  });

  it("long-polls: one update per call, [] on 408, malformed entries skipped", async () => {
    fake.pushUpdate(zaloTextUpdate("xin chào", { bare: true }));
    const [update] = await client.getUpdates({ timeout: 1 });
    expect(update).toMatchObject({ event_name: "message.text.received", message: { text: "xin chào" } });
    expect(fake.callsOf("getUpdates")[0]!.body).toEqual({ timeout: "1" });
    expect(await client.getUpdates({ timeout: 1 })).toEqual([]); // fake answers 408 after 1 s
    fake.script("getUpdates", { body: { ok: true, result: [zaloTextUpdate("a", { bare: true }), { event_name: 5 }] } });
    expect(await client.getUpdates({ timeout: 1 })).toHaveLength(1);
  });

  it("cancels a long poll through its AbortSignal", async () => {
    const abort = new AbortController();
    const poll = client.getUpdates({ timeout: 20 }, { signal: abort.signal });
    await fake.waitFor(() => fake.pendingPolls === 1, 2000, "the poll to arrive");
    const started = Date.now();
    abort.abort();
    await expect(poll).rejects.toBeInstanceOf(ZaloAbortedError);
    expect(Date.now() - started).toBeLessThan(2000); // the poll would have lasted 20 s
  });
});
