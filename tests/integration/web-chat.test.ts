// The web chat over HTTP: signed session cookie, CSRF and Origin checks, zod on bodies, the page's
// security headers and weight, turns through the core, a QR unit, the transcript, officer answers pushed
// by server-sent events, "Xóa cuộc trò chuyện", and the per-IP limit.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { startWebHarness, type WebHarness } from "../helpers/web-harness.ts";

interface Session {
  cookie: string;
  csrf: string;
  sid: string;
}

const op = { personId: null, label: "test" };

describe("web chat over HTTP", () => {
  let h: WebHarness;

  const open = async (path = "/chat"): Promise<Session & { response: Response; html: string }> => {
    const response = await fetch(`${h.url}${path}`);
    const html = await response.text();
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? "";
    return { response, html, cookie, csrf, sid: cookie.split("=")[1]!.split(".")[0]! };
  };
  const post = (s: Partial<Session>, body: unknown, extra: Record<string, string> = {}, path = "/chat/api/message") =>
    fetch(`${h.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(s.cookie ? { cookie: s.cookie } : {}),
        ...(s.csrf ? { "x-csrf-token": s.csrf } : {}),
        ...extra,
      },
      body: JSON.stringify(body),
    });
  type Entry = { id: number; from: string; text?: string; push?: boolean; replies?: Array<{ text: string; buttons?: Array<Array<{ label: string; payload: string }>> }> };
  const say = async (s: Session, body: unknown) => {
    const response = await post(s, body);
    expect(response.status).toBe(200);
    return ((await response.json()) as { entries: Entry[] }).entries;
  };

  beforeAll(async () => {
    h = await startWebHarness();
    const p = h.bot.db.prisma;
    await grantRole(p, { personId: await personForAccount(p, "telegram", "tg-officer"), role: "OFFICER", unitCode: "19123", by: op });
  });
  afterAll(() => h?.close());

  it("serves the page with a signed HttpOnly cookie, a CSRF token, a strict CSP and no inline code", async () => {
    const s = await open();
    expect(s.response.status).toBe(200);
    const setCookie = s.response.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^troly06_sid=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Path=\/chat; HttpOnly; Max-Age=\d+; SameSite=Lax$/);
    expect(s.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const csp = s.response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe");
    expect(s.response.headers.get("x-content-type-options")).toBe("nosniff");
    // No inline script; one inline style, allowed by its hash only; nothing loaded from another host.
    expect(s.html.match(/<script\b[^>]*>/g)).toEqual([expect.stringMatching(/<script src="\/chat\/static\/chat\.js\?v=[0-9a-f]{12}" defer>/)]);
    expect(s.html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    const styles = [...s.html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(styles.length).toBe(1);
    expect(csp).toContain(`style-src 'self' 'sha256-${createHash("sha256").update(styles[0]!).digest("base64")}'`);
    expect(s.html).toContain('lang="vi"');
    for (const path of ["/chat/static/chat.js", "/widget.js"]) {
      const text = await (await fetch(`${h.url}${path}`)).text();
      expect(text.match(/https?:\/\/[^\s"')]+/g) ?? [], path).toEqual([]);
    }
    // The same cookie keeps the same session (no new cookie).
    const again = await fetch(`${h.url}/chat`, { headers: { cookie: s.cookie } });
    expect(again.headers.get("set-cookie")).toBeNull();
    expect(await again.text()).toContain(s.csrf);
  });

  it("weighs under 100 kB gzipped (page, script, style) and the widget under 30 kB", async () => {
    const s = await open();
    // Served gzipped to browsers that accept it (fetch decodes it; the sizes below are of the gzip).
    for (const path of ["/chat/static/chat.js", "/widget.js"]) {
      expect((await fetch(`${h.url}${path}`, { headers: { "accept-encoding": "gzip" } })).headers.get("content-encoding")).toBe("gzip");
    }
    const js = gzipSync(Buffer.from(await (await fetch(`${h.url}/chat/static/chat.js`)).text())).length;
    expect((await fetch(`${h.url}/chat`, { headers: { "accept-encoding": "gzip" } })).headers.get("content-encoding")).toBe("gzip");
    const html = gzipSync(Buffer.from(s.html)).length;
    const widget = gzipSync(Buffer.from(await (await fetch(`${h.url}/widget.js`)).text())).length;
    console.log(`web chat weight (gzip): page with its style ${html} B, chat.js ${js} B, total ${html + js} B; widget.js ${widget} B`);
    expect(html + js).toBeLessThan(100_000);
    expect(widget).toBeLessThan(30_000);
  });

  it("refuses posts without the session's token, from another origin, or with a forged cookie", async () => {
    const s = await open();
    const body = { text: "kich hoat vneid" };
    expect((await post({ cookie: s.cookie }, body)).status).toBe(403);
    expect((await post({ cookie: s.cookie, csrf: "x".repeat(43) }, body)).status).toBe(403);
    expect((await post(s, body, { origin: "https://evil.example" })).status).toBe(403);
    expect((await post(s, body, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    const other = await open();
    expect((await post({ cookie: s.cookie, csrf: other.csrf }, body)).status).toBe(403);
    const forged = `troly06_sid=${other.sid}.${s.cookie.split(".")[1]}`;
    expect((await post({ cookie: forged, csrf: other.csrf }, body)).status).toBe(403);
    expect((await post(s, body, { origin: h.url })).status).toBe(200);
  });

  it("validates bodies with zod", async () => {
    const s = await open();
    for (const body of [{}, { text: "a", payload: "b" }, { text: 5 }, { payload: "x".repeat(65) }, { text: "a", admin: true }, { start: { unit: "../x" } }, [], "text"]) {
      const response = await post(s, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    const broken = await fetch(`${h.url}/chat/api/message`, { method: "POST", headers: { "content-type": "application/json", cookie: s.cookie, "x-csrf-token": s.csrf }, body: "{" });
    expect(broken.status).toBe(400);
  });

  it("status: the session's unit and subscription for «Nhận thông báo»; subscribing and stopping through the core", async () => {
    const status = async (x: Session) => {
      const response = await fetch(`${h.url}/chat/api/status`, { headers: { cookie: x.cookie } });
      expect(response.status).toBe(200);
      return (await response.json()) as { unit: { code: string; label: string; subscribePayload: string } | null; subscribed: boolean; move: unknown[] };
    };
    expect((await fetch(`${h.url}/chat/api/status`)).status).toBe(403);
    const plain = await open("/chat");
    await say(plain, { start: {} });
    expect(await status(plain)).toEqual({ unit: null, subscribed: false, move: [] });

    const s = await open("/chat?unit=19123");
    await say(s, { start: { unit: "19123" } });
    const before = await status(s);
    expect(before).toEqual({ unit: { code: "19123", label: "Xã Sen Thủy", subscribePayload: "sub:19123" }, subscribed: false, move: [] });
    const yes = await say(s, { payload: before.unit!.subscribePayload, label: "Nhận thông báo của Xã Sen Thủy" });
    expect(yes[0]!.text).toBe("Nhận thông báo của Xã Sen Thủy");
    expect(yes[1]!.replies![0]!.text).toMatch(/đã đăng ký nhận thông báo của Xã Sen Thủy/);
    expect((await status(s)).subscribed).toBe(true);
    await say(s, { text: "/huy" });
    expect(await status(s)).toMatchObject({ unit: { code: "19123" }, subscribed: false });
  });

  it("greets a QR visitor, notes the unit, and answers through the core with buttons", async () => {
    const s = await open("/chat?unit=19123");
    const greeting = await say(s, { start: { unit: "19123" } });
    expect(greeting).toHaveLength(1); // the /start itself is not shown as said
    expect(greeting[0]!.replies!.map((r) => r.text).join("\n")).toMatch(/Xã Sen Thủy/);
    const identity = await h.bot.db.prisma.channelIdentity.findFirstOrThrow({ where: { channel: "WEB", externalUserId: s.sid } });
    // Noted for "Hỏi cán bộ", not subscribed: opening the page is no consent.
    const noted = await h.bot.db.prisma.subscription.findUniqueOrThrow({ where: { identityId: identity.id } });
    expect(noted.unitCode).toBe("19123");
    expect(noted.optedOutAt).not.toBeNull();

    const answer = await say(s, { text: "kich hoat vneid" });
    expect(answer.map((e) => e.from)).toEqual(["user", "bot"]);
    expect(answer[0]!.text).toBe("kich hoat vneid");
    const buttons = answer[1]!.replies!.flatMap((r) => (r.buttons ?? []).flat());
    const next = buttons.find((b) => b.label === "Bước tiếp");
    expect(next).toBeDefined();
    const step = await say(s, { payload: next!.payload, label: next!.label });
    expect(step[0]!.text).toBe("Bước tiếp");
    expect(step[1]!.replies![0]!.text).toMatch(/Bước 1/);
    // A typed choice, read by the core against the buttons just offered.
    const typed = await say(s, { text: "tiếp" });
    expect(typed[1]!.replies![0]!.text).toMatch(/Bước 2/);

    // Page reload: the conversation is there again, in order.
    const history = (await (await fetch(`${h.url}/chat/api/history`, { headers: { cookie: s.cookie } })).json()) as { entries: Entry[] };
    expect(history.entries.map((e) => e.id)).toEqual([...greeting, ...answer, ...step, ...typed].map((e) => e.id));
    const after = (await (await fetch(`${h.url}/chat/api/history?after=${answer[1]!.id}`, { headers: { cookie: s.cookie } })).json()) as { entries: Entry[] };
    expect(after.entries.map((e) => e.id)).toEqual([...step, ...typed].map((e) => e.id));
    expect((await fetch(`${h.url}/chat/api/history`)).status).toBe(403);
  });

  it("stores no full phone number in the transcript", async () => {
    const s = await open();
    await say(s, { text: "so dt cua toi 0912345678 ko nhan duoc ma otp" });
    const raw = await h.bot.queues.redis.lrange(`${(h.web as unknown as { transcript: { options: { keyPrefix: string } } }).transcript.options.keyPrefix}:log:${s.sid}`, 0, -1);
    expect(raw.length).toBe(2);
    expect(raw.join("\n")).not.toContain("0912345678");
    expect(raw.join("\n")).toContain("[số điện thoại]");
  });

  it("brings an officer's answer to the page by server-sent events", async () => {
    const s = await open("/chat?unit=19123");
    await say(s, { start: { unit: "19123" } });
    const ask = await say(s, { payload: "handoff:start", label: "Hỏi cán bộ" });
    expect(ask[1]!.replies![0]!.text).toMatch(/gõ câu hỏi/i);
    const sent = await say(s, { text: "lich lam can cuoc thu 7 o xa minh the nao" });
    const ticketId = Number(/câu hỏi số (\d+)/.exec(sent[1]!.replies![0]!.text)![1]);
    await waitFor(() => h.bot.channels.telegram.sent.some((m) => m.chatId === "tg-officer"), 10_000, "forward to the officer");

    const controller = new AbortController();
    const events = await fetch(`${h.url}/chat/api/events?after=${sent[1]!.id}`, { headers: { cookie: s.cookie }, signal: controller.signal });
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = events.body!.getReader();
    let received = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      while (!received.includes("Thứ Bảy")) {
        const { value, done } = await reader.read();
        if (done) break;
        received += decoder.decode(value, { stream: true });
      }
    })();
    const answer = await h.bot.send({ channel: "telegram", userId: "tg-officer", text: `/traloi ${ticketId} Thứ Bảy xã có làm căn cước buổi sáng` });
    expect(answer.replies[0]!.text).toMatch(/Đã chuyển/);
    await Promise.race([reading, new Promise((_, reject) => setTimeout(() => reject(new Error(`no event; got ${received}`)), 10_000))]);
    controller.abort();
    const pushed = received
      .split("\n\n")
      .filter((block) => block.includes("event: entry"))
      .map((block) => JSON.parse(/data: (.+)/.exec(block)![1]!) as Entry);
    const officer = pushed.find((e) => e.push);
    expect(officer!.replies![0]!.text).toMatch(/Cán bộ Xã Sen Thủy trả lời.*Thứ Bảy xã có làm căn cước/s);
  });

  it("forgets the conversation on «Xóa cuộc trò chuyện»", async () => {
    const s = await open();
    await say(s, { text: "xin chao" });
    const identity = await h.bot.db.prisma.channelIdentity.findFirstOrThrow({ where: { channel: "WEB", externalUserId: s.sid } });
    expect(await h.bot.db.prisma.conversationMessage.count({ where: { identityId: identity.id } })).toBeGreaterThan(0);
    expect((await post({ cookie: s.cookie }, {}, {}, "/chat/api/reset")).status).toBe(403);
    const reset = await post(s, {}, {}, "/chat/api/reset");
    expect(reset.status).toBe(200);
    expect(reset.headers.get("set-cookie")).toMatch(/^troly06_sid=; Path=\/chat; HttpOnly; Max-Age=0/);
    expect(await h.bot.db.prisma.conversationMessage.count({ where: { identityId: identity.id } })).toBe(0);
    const history = (await (await fetch(`${h.url}/chat/api/history`, { headers: { cookie: s.cookie } })).json()) as { entries: Entry[] };
    expect(history.entries).toEqual([]);
  });
});

describe("web chat limits", () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await startWebHarness({ env: { WEB_RATE_LIMIT_PER_IP_MINUTE: "8", RATE_LIMIT_PER_MINUTE: "3" } });
  });
  afterAll(() => h?.close());

  it("limits each session (the core's per-user limit) and each IP address", async () => {
    const page = await fetch(`${h.url}/chat`);
    const html = await page.text();
    const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    const ask = () =>
      fetch(`${h.url}/chat/api/message`, { method: "POST", headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf }, body: JSON.stringify({ text: "xin chao" }) });
    const texts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await ask();
      expect(r.status).toBe(200);
      texts.push(((await r.json()) as { entries: Array<{ replies?: Array<{ text: string }> }> }).entries[1]!.replies![0]!.text);
    }
    expect(texts[3]).toMatch(/giây/); // the fourth message in a minute: "please wait N seconds"
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await ask()).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]); // 1 page + 4 + 3 = 8 requests allowed per minute
  });
});
