// The web chat in a real browser (Debian's chromium through playwright-core), on the whole app with the
// Telegram channel on a fake Bot API: a citizen who scanned a commune's QR code activates VNeID step by
// step, types a choice, asks an officer, and the officer's answer sent from Telegram appears in the page;
// the widget on a plain portal page; a 360-px phone and a 1366-px desk; keyboard only.
// Screenshots of each state are saved under tests/artifacts/.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { artifact, launchBrowser, type TestBrowser } from "../helpers/browser.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { waitFor } from "../helpers/fake-channel.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { TEST_SECRET, TEST_TOKEN, withUpdateId } from "../helpers/telegram-harness.ts";
import { seedUnits } from "../helpers/units.ts";

const OFFICER = 5001;
const API_TOKEN = "web-browser-test-token-0123456789";

// What the page functions below use of the browser's globals (this project compiles without the DOM
// library; these are types only, erased before the functions are sent to the page).
interface PageElement {
  id: string;
  textContent: string | null;
  classList: { contains(name: string): boolean };
  dataset: Record<string, string | undefined>;
  closest(selector: string): PageElement | null;
}
interface PageGlobals {
  innerWidth: number;
  document: {
    activeElement: PageElement | null;
    documentElement: { scrollWidth: number };
    querySelector(selector: string): PageElement | null;
  };
  getComputedStyle(element: unknown): { fontSize: string; outlineStyle: string; backgroundColor: string };
}

describe("web chat in a browser", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-web-app-"));
  let fake: FakeTelegram;
  let app: RunningApp;
  let portal: http.Server;
  let portalUrl = "";
  const browsers: TestBrowser[] = [];

  const browser = async (width: number, height: number, isMobile = false) => {
    const b = await launchBrowser({ width, height }, { isMobile });
    browsers.push(b);
    const page = await b.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    // Nothing may be requested from any host but the app and the test's portal page.
    page.on("request", (r) => {
      const origin = new URL(r.url()).origin;
      if (!r.url().startsWith("data:") && origin !== new URL(app.url).origin && origin !== portalUrl) problems.push(`request to ${r.url()}`);
    });
    return { page, problems };
  };
  const bubbles = (page: Page) => page.locator("#log .bubble");
  const lastBot = (page: Page) => page.locator("#log .bubble.bot").last();
  const postTelegram = (text: string, from: number) =>
    fetch(`${app.url}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TEST_SECRET },
      body: JSON.stringify(withUpdateId(textUpdate(text, from))),
    });
  const noHorizontalScroll = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth <= (globalThis as unknown as PageGlobals).innerWidth);

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    const config = testConfig({
      DATA_DIR: dir,
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: fake.url,
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
      RATE_LIMIT_PER_MINUTE: "1000",
      SHUTDOWN_GRACE_MS: "1000",
      ADMIN_API_TOKEN: API_TOKEN,
    });
    app = await startApp(config, createLogger("silent"));
    await seedUnits(app.db.prisma);
    const p = app.db.prisma;
    await grantRole(p, { personId: await personForAccount(p, "telegram", String(OFFICER)), role: "OFFICER", unitCode: "19123", by: { personId: null, label: "test" } });

    // A commune's portal page on another port: one script tag.
    portal = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Cổng thông tin xã Sen Thủy</title></head>
<body><h1>UBND xã Sen Thủy</h1><p>Trang thông tin điện tử của xã.</p>
<script src="${app.url}/widget.js" data-unit="19123" data-color="#8a1538" data-greeting="Chào bà con xã Sen Thủy! Hỏi gì về căn cước, VNeID cứ gõ vào đây." defer></script>
</body></html>`);
    });
    await new Promise<void>((resolve) => portal.listen(0, "127.0.0.1", resolve));
    portalUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    for (const b of browsers) await b.close().catch(() => undefined);
    portal?.close();
    await app?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("on a 360-px phone: QR visit, VNeID activation step by step, a typed choice, an officer's answer from Telegram", async () => {
    const { page, problems } = await browser(360, 740, true);
    await page.goto(`${app.url}/chat?unit=19123`);
    // The QR's unit: noted (questions to an officer go there), then the greeting and topic menu.
    await expect.poll(() => page.locator("#log").innerText(), { timeout: 15_000 }).toMatch(/Xã Sen Thủy[\s\S]*Xin chào/);
    await page.screenshot({ path: artifact("web-phone-1-greeting.png") });

    await page.getByLabel("Câu hỏi của bạn").fill("kich hoat vneid");
    await page.getByRole("button", { name: "Gửi" }).click();
    const next = page.getByRole("button", { name: "Bước tiếp", exact: true }).last();
    await next.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: artifact("web-phone-2-answer.png") });
    await next.click();
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/Bước 1/);
    await page.screenshot({ path: artifact("web-phone-3-step1.png") });

    // "2" chooses the second button of the step: «Bước tiếp (2/…)».
    await page.getByLabel("Câu hỏi của bạn").fill("2");
    await page.keyboard.press("Enter");
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/Bước 2/);

    await lastBot(page).getByRole("button", { name: "Hỏi cán bộ" }).click();
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/gõ câu hỏi/i);
    await page.getByLabel("Câu hỏi của bạn").fill("toi lam toi buoc 2 roi ma ko thay ma otp, thu 7 xa co lam ko");
    await page.keyboard.press("Enter");
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/Đã gửi câu hỏi số \d+ tới cán bộ Xã Sen Thủy/);
    const ticketId = Number(/câu hỏi số (\d+)/.exec(await lastBot(page).innerText())![1]);

    // The officer gets it on Telegram and answers there; the page shows it without reloading.
    await waitFor(() => fake.texts().some((t) => t.includes("ko thay ma otp")), 15_000, "forward to the officer on Telegram");
    expect((await postTelegram(`/traloi ${ticketId} Thứ Bảy Công an xã vẫn làm buổi sáng, bác mang điện thoại ra nhé`, OFFICER)).status).toBe(200);
    await expect.poll(() => lastBot(page).innerText(), { timeout: 20_000 }).toMatch(/Cán bộ Xã Sen Thủy trả lời câu hỏi số \d+[\s\S]*Thứ Bảy Công an xã vẫn làm/);
    await page.screenshot({ path: artifact("web-phone-4-officer.png") });

    expect(await noHorizontalScroll(page)).toBe(true);
    // Buttons big enough for old fingers.
    const heights = await page.locator("button:visible").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(44);
    const fontSize = await page.locator("#log .bubble").first().evaluate((e) => parseFloat((globalThis as unknown as PageGlobals).getComputedStyle(e).fontSize));
    expect(fontSize).toBeGreaterThanOrEqual(18);

    // Reload: the conversation is still there, the officer's answer included.
    const count = await bubbles(page).count();
    await page.reload();
    await expect.poll(() => bubbles(page).count(), { timeout: 15_000 }).toBe(count);
    expect(problems).toEqual([]);

    // «Xóa cuộc trò chuyện» forgets it: a new session, a fresh greeting.
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Xóa cuộc trò chuyện" }).click();
    await expect.poll(() => page.locator("#log .bubble.user").count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.locator("#log").innerText(), { timeout: 15_000 }).toMatch(/Xin chào/);
    expect(await page.locator("#log").innerText()).not.toMatch(/Cán bộ Xã Sen Thủy trả lời/);
  });

  it("on a 1366-px desk, with the keyboard only", async () => {
    const { page, problems } = await browser(1366, 768);
    await page.goto(`${app.url}/chat`);
    await lastBot(page).waitFor({ timeout: 15_000 });
    // Tab → skip link → Enter puts the cursor in the question box.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)).toBe("Đến ô nhập câu hỏi");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe("text");
    await page.keyboard.type("kich hoat vneid");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Bước tiếp", exact: true }).last().waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe("text"); // still typing-ready

    // Shift+Tab walks back into the answer's buttons, to «Bước tiếp».
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press("Shift+Tab");
      found = (await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)) === "Bước tiếp";
    }
    expect(found).toBe(true);
    const outline = await page.evaluate(() => (globalThis as unknown as PageGlobals).getComputedStyle((globalThis as unknown as PageGlobals).document.activeElement!).outlineStyle);
    expect(outline).not.toBe("none"); // the focus is visible
    await page.keyboard.press("Enter");
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/Bước 1/);
    // After a button, focus is on the new answer's first button: Tab to «Bước tiếp (2/…)», Enter.
    expect(
      await page.evaluate(() => {
        const focused = (globalThis as unknown as PageGlobals).document.activeElement ;
        const newest = (globalThis as unknown as PageGlobals).document.querySelector("#log .bubble.bot:last-child")?.dataset.entry;
        return focused?.classList.contains("choice") && focused.closest(".bubble")?.dataset.entry === newest;
      }),
    ).toBe(true);
    for (let i = 0; i < 4; i++) {
      if ((await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent ?? "")).startsWith("Bước tiếp")) break;
      await page.keyboard.press("Tab");
    }
    await page.keyboard.press("Enter");
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/Bước 2/);

    // The text size toggle, by keyboard: «lớn» → «rất lớn», and the text grows.
    const before = await lastBot(page).evaluate((e) => parseFloat((globalThis as unknown as PageGlobals).getComputedStyle(e).fontSize));
    await page.focus("#size");
    await page.keyboard.press("Enter");
    expect(await page.locator("#size-now").innerText()).toBe("rất lớn");
    const after = await lastBot(page).evaluate((e) => parseFloat((globalThis as unknown as PageGlobals).getComputedStyle(e).fontSize));
    expect(after).toBeGreaterThan(before);
    await page.screenshot({ path: artifact("web-desk-keyboard-large.png") });
    await page.keyboard.press("Enter"); // → nhỏ
    await page.keyboard.press("Enter"); // → lớn again
    expect(await page.locator("#size-now").innerText()).toBe("lớn");
    await page.screenshot({ path: artifact("web-desk.png") });
    expect(await noHorizontalScroll(page)).toBe(true);
    // New messages are announced: the log is a polite live region.
    expect(await page.locator("#log").getAttribute("aria-live")).toBe("polite");
    expect(problems).toEqual([]);
  });

  it("the widget: one script tag on a portal page opens the chat for its unit, in its colour, with its greeting", async () => {
    const { page, problems } = await browser(1366, 768);
    await page.goto(portalUrl);
    const button = page.getByRole("button", { name: "Hỏi Trợ lý 06" });
    await button.waitFor();
    expect(await page.locator("iframe").count()).toBe(1);
    expect(await page.locator("iframe").getAttribute("src")).toBeNull(); // nothing loaded before it is opened
    await button.click();
    const frame = page.frameLocator("iframe[title='Trò chuyện với Trợ lý 06']");
    await expect.poll(() => frame.locator("#log .bubble.bot").first().innerText(), { timeout: 15_000 }).toMatch(/Chào bà con xã Sen Thủy/);
    await expect.poll(() => frame.locator("#log").innerText(), { timeout: 15_000 }).toMatch(/Xã Sen Thủy[\s\S]*Xin chào/);
    expect(await frame.locator(".top").evaluate((e) => (globalThis as unknown as PageGlobals).getComputedStyle(e).backgroundColor)).toBe("rgb(138, 21, 56)");
    await frame.getByLabel("Câu hỏi của bạn").fill("lam can cuoc cho con 10 tuoi");
    await frame.getByLabel("Câu hỏi của bạn").press("Enter");
    // Answered: a bot bubble after the question, and nothing pending.
    await expect
      .poll(() => frame.locator("#log").evaluate((log) => !!log.lastElementChild?.classList.contains("bot") && log.lastElementChild.previousElementSibling?.classList.contains("user")), { timeout: 15_000 })
      .toBe(true);
    await expect.poll(() => frame.locator("#status").innerText()).toBe("");
    await page.screenshot({ path: artifact("web-widget-desk.png") });
    // Escape closes it and gives the focus back to the button.
    await frame.getByLabel("Câu hỏi của bạn").press("Escape");
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)).toBe("Hỏi Trợ lý 06");
    expect(await button.getAttribute("aria-expanded")).toBe("false");
    expect(problems).toEqual([]);

    // On a phone the chat fills the screen.
    const phone = await browser(360, 740, true);
    await phone.page.goto(portalUrl);
    await phone.page.getByRole("button", { name: "Hỏi Trợ lý 06" }).click();
    await phone.page.frameLocator("iframe").locator("#log .bubble.bot").last().waitFor({ timeout: 15_000 });
    const box = await phone.page.locator("#troly06-panel").boundingBox();
    expect(box!.width).toBe(360);
    await phone.page.screenshot({ path: artifact("web-widget-phone.png") });
    expect(phone.problems).toEqual([]);
  });

  it("«Nhận thông báo» in the page: an announcement to the commune's citizens is shown at the next visit; «Chuyển sang Telegram» carries the unit", async () => {
    const { page, problems } = await browser(360, 740, true);
    await page.goto(`${app.url}/chat?unit=19123`);
    const subscribe = page.getByRole("button", { name: "Nhận thông báo của Xã Sen Thủy" });
    await subscribe.waitFor({ timeout: 15_000 });
    expect((await subscribe.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await subscribe.click();
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/đã đăng ký nhận thông báo của Xã Sen Thủy/);
    await expect.poll(() => page.locator("#sub-state").innerText(), { timeout: 15_000 }).toBe("Bạn đang nhận thông báo của Xã Sen Thủy tại trang này.");
    expect(await page.getByRole("button", { name: "Ngừng nhận thông báo" }).isVisible()).toBe(true);
    await page.screenshot({ path: artifact("web-phone-5-subscribed.png") });
    const context = page.context();
    await page.close();

    // The commune announces to its citizens while the page is closed.
    const text = "Thứ Bảy này Công an xã Sen Thủy làm căn cước tại nhà văn hóa thôn Tây, từ 7 giờ 30.";
    const sent = await fetch(`${app.url}/api/broadcasts`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ unitCode: "19123", audience: "citizens", channels: ["web"], text }),
    });
    expect(sent.status).toBeLessThan(300);
    // Delivered into the session's messages (the context holds the page's cookie).
    await waitFor(
      async () => {
        const history = (await (await context.request.get(`${app.url}/chat/api/history`)).json()) as { entries: Array<{ push?: boolean; replies?: Array<{ text: string }> }> };
        return history.entries.some((e) => e.push && e.replies?.some((r) => r.text.includes("nhà văn hóa thôn Tây")));
      },
      30_000,
      "the announcement in the web session",
    );

    // The next visit shows it, marked as new.
    const next = await context.newPage();
    next.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    await next.goto(`${app.url}/chat`);
    await expect.poll(() => next.locator("#log .bubble.bot.push").last().innerText(), { timeout: 15_000 }).toMatch(/nhà văn hóa thôn Tây/);
    await expect.poll(() => next.locator("#status").innerText()).toBe("Có 1 tin mới từ lần trước bạn vào.");
    await next.screenshot({ path: artifact("web-phone-6-announcement.png") });

    // «Chuyển sang Telegram»: the bot's deep link carrying the unit, and its QR code.
    const move = next.getByRole("button", { name: "Chuyển sang Telegram" });
    expect(await move.getAttribute("aria-expanded")).toBe("false");
    await move.click();
    expect(await move.getAttribute("aria-expanded")).toBe("true");
    const go = next.getByRole("link", { name: "Mở Telegram" });
    const href = (await go.getAttribute("href"))!;
    expect(href).toBe("https://t.me/troly06_test_bot?start=u_19123");
    expect(await next.getByRole("img", { name: "Mã QR mở Telegram" }).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    await next.screenshot({ path: artifact("web-phone-7-move.png") });
    // Opening it, Telegram sends the bot «/start u_19123»: the person lands subscribed to the same commune there.
    const CITIZEN = 7300;
    expect((await postTelegram(`/start ${new URL(href).searchParams.get("start")}`, CITIZEN)).status).toBe(200);
    const there = await app.db.prisma.subscription.findFirstOrThrow({ where: { identity: { channel: "TELEGRAM", externalUserId: String(CITIZEN) } } });
    expect(there).toMatchObject({ unitCode: "19123", optedOutAt: null });
    expect(problems).toEqual([]);
  }, 120_000);

  it("voice input: no button without speech recognition; with it (stubbed), a Vietnamese transcript is sent", async () => {
    // Without the API (as in Firefox): no button at all.
    const none = await browser(360, 740, true);
    await none.page.addInitScript({ content: "delete window.SpeechRecognition; delete window.webkitSpeechRecognition;" });
    await none.page.goto(`${app.url}/chat`);
    await lastBot(none.page).waitFor({ timeout: 15_000 });
    expect(await none.page.locator("#mic").isVisible()).toBe(false);
    expect(await none.page.getByRole("button", { name: /Nói câu hỏi/ }).count()).toBe(0);
    expect(none.problems).toEqual([]);

    // A stand-in for the browser's recogniser: records the language asked for, then "hears" a question.
    const { page, problems } = await browser(360, 740, true);
    await page.addInitScript({
      content: `window.__recognition = [];
        function FakeRecognition() {}
        FakeRecognition.prototype.start = function () {
          var self = this;
          window.__recognition.push(self.lang);
          setTimeout(function () {
            self.onresult({ results: [[{ transcript: "kích hoạt vneid", confidence: 0.9 }]] });
            self.onend();
          }, 100);
        };
        FakeRecognition.prototype.stop = function () { this.onend(); };
        window.SpeechRecognition = window.webkitSpeechRecognition = FakeRecognition;`,
    });
    await page.goto(`${app.url}/chat`);
    await lastBot(page).waitFor({ timeout: 15_000 });
    const mic = page.getByRole("button", { name: "Nói câu hỏi bằng giọng" });
    expect(await mic.isVisible()).toBe(true);
    expect(await mic.getAttribute("aria-pressed")).toBe("false");
    expect((await mic.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await mic.click();
    await expect.poll(() => page.locator("#log .bubble.user").last().innerText(), { timeout: 15_000 }).toMatch(/kích hoạt vneid/);
    await expect.poll(() => lastBot(page).innerText(), { timeout: 15_000 }).toMatch(/VNeID/);
    expect(await page.evaluate(() => (globalThis as unknown as { __recognition: string[] }).__recognition)).toEqual(["vi-VN"]);
    expect(await mic.getAttribute("aria-pressed")).toBe("false");
    expect(await noHorizontalScroll(page)).toBe(true);
    await page.screenshot({ path: artifact("web-phone-voice.png") });
    expect(problems).toEqual([]);
  }, 90_000);
});
