// The staff console in a real browser (Debian's chromium through playwright-core), on the whole app with
// the official two-tier unit list (Quảng Trị, no districts), Telegram and Zalo on fake Bot APIs:
// signing in with a one-time link from /web (used twice, the second time fails), sessions and sign-out,
// the progress pages with charts, drill-down, the 25 services, exports, the import check (a wrong row
// imports nothing), and an officer refused a sibling commune's pages and data by URL.
// Screenshots of each page are saved under tests/artifacts/.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { readSheet } from "read-excel-file/node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { importRows, type RawRow } from "../../src/features/indicators/importer.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { artifact, launchBrowser, type TestBrowser } from "../helpers/browser.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { TEST_SECRET, TEST_TOKEN, withUpdateId } from "../helpers/telegram-harness.ts";
import { FakeZaloApi, zaloTextUpdate } from "../helpers/zalo-fake-api.ts";

const OFFICER = 7001; // Telegram user: officer of the commune
const SUPERVISOR = 7002; // Telegram user: supervisor of the province
const ADMIN = 7003; // Telegram user: admin of the province
const ZALO_TOKEN = "9876543210:zalo-console-test-token";
const ZALO_SECRET = "zalo-console-secret";
const ZALO_SUPERVISOR = "zalo-supervisor-1";
const PROVINCE = "44"; // Tỉnh Quảng Trị since 1/7/2025
const COMMUNE = "19288"; // Xã Sen Ngư

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Each test drives one or two browsers through several pages: 90 s on a shared 2-core machine.
// How long a reply sent from the console may take to reach the citizen's channel through the outbox: a few
// hundred milliseconds on a quiet machine, but the full suite on two loaded cores once took over 20 s.
const DELIVERY_WAIT_MS = 45_000;

describe("staff console in a browser", { timeout: 90_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-console-"));
  let telegram: FakeTelegram;
  let zalo: FakeZaloApi;
  let app: RunningApp;
  let siblings: Array<{ code: string; name: string }> = [];
  const browsers: TestBrowser[] = [];

  const browser = async (width = 1366, height = 900) => {
    const b = await launchBrowser({ width, height });
    browsers.push(b);
    const page = await b.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on("request", (r) => {
      if (!r.url().startsWith("data:") && new URL(r.url()).origin !== new URL(app.url).origin) problems.push(`request to ${r.url()}`);
    });
    return { page, problems };
  };

  const postTelegram = (text: string, from: number) =>
    fetch(`${app.url}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TEST_SECRET },
      body: JSON.stringify(withUpdateId(textUpdate(text, from))),
    });

  /** Asks for a sign-in link with /web on Telegram and returns it. */
  const linkFromTelegram = async (user: number): Promise<string> => {
    const before = telegram.texts().length;
    expect((await postTelegram("/web", user)).status).toBe(200);
    const text = await telegram.waitFor(() => telegram.texts().slice(before).find((t) => t.includes("/console/dang-nhap?t=")));
    return /(http\S+\/console\/dang-nhap\?t=\S+)/.exec(text)![1]!;
  };

  const signIn = async (page: Page, link: string) => {
    await page.goto(link);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.waitForURL(/\/console\/tien-do/);
  };

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    zalo = await FakeZaloApi.start(ZALO_TOKEN);
    const port = await freePort();
    const config = testConfig({
      DATA_DIR: dir,
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      UNIT_LIST: "official",
      PORT: String(port),
      CONSOLE_URL: `http://127.0.0.1:${port}`,
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
      ZALO_BOT_TOKEN: ZALO_TOKEN,
      ZALO_API_BASE: zalo.url,
      ZALO_WEBHOOK_SECRET: ZALO_SECRET,
      ZALO_MODE: "webhook",
      RATE_LIMIT_PER_MINUTE: "1000",
      SHUTDOWN_GRACE_MS: "1000",
    });
    app = await startApp(config, createLogger("silent"));
    const p = app.db.prisma;
    const by = { personId: null, label: "test" };
    await grantRole(p, { personId: await personForAccount(p, "telegram", String(OFFICER)), role: "OFFICER", unitCode: COMMUNE, by });
    await grantRole(p, { personId: await personForAccount(p, "telegram", String(SUPERVISOR)), role: "SUPERVISOR", unitCode: PROVINCE, by });
    await grantRole(p, { personId: await personForAccount(p, "zalo", ZALO_SUPERVISOR), role: "SUPERVISOR", unitCode: PROVINCE, by });
    await grantRole(p, { personId: await personForAccount(p, "telegram", String(ADMIN)), role: "ADMIN", unitCode: PROVINCE, by });

    // Three months of figures for the province and six of its communes (Sen Ngư and five others).
    siblings = await p.adminUnit.findMany({ where: { parentCode: PROVINCE, validTo: null, code: { not: COMMUNE } }, orderBy: { code: "asc" }, take: 5, select: { code: true, name: true } });
    const communes = [COMMUNE, ...siblings.map((s) => s.code)];
    const rows: RawRow[] = [];
    let line = 2;
    ["2026-08", "2026-09", "2026-10"].forEach((period, m) => {
      communes.forEach((code, i) => {
        rows.push({ line: line++, unit_code: code, period, indicator: "dvc25_tong", numerator: 300 + 40 * i + 25 * m, denominator: 1000 });
        rows.push({ line: line++, unit_code: code, period, indicator: "cccd_thu_nhan", numerator: 700 + 30 * i + 40 * m, denominator: 1000 });
        rows.push({ line: line++, unit_code: code, period, indicator: "dvc_thuong_tru", numerator: 20 + 5 * i + 3 * m, denominator: 100 });
      });
      rows.push({ line: line++, unit_code: PROVINCE, period, indicator: "dvc25_tong", numerator: 41_000 + 1500 * m, denominator: 100_000 });
      rows.push({ line: line++, unit_code: PROVINCE, period, indicator: "cccd_thu_nhan", numerator: 80_000 + 3000 * m, denominator: 100_000 });
    });
    const result = await importRows(p, rows, { source: "IMPORT", enteredBy: "test" });
    expect(result.errors).toEqual([]);
  }, 180_000);

  afterAll(async () => {
    for (const b of browsers) await b.close().catch(() => undefined);
    await app?.stop();
    await telegram?.close();
    await zalo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs in with the link /web sends; the same link used again fails; sessions are listed, revocable, and every step is audited", async () => {
    // Citizens get the usual refusal and no link.
    const before = telegram.texts().length;
    expect((await postTelegram("/web", 7999)).status).toBe(200);
    const citizenReply = await telegram.waitFor(() => telegram.texts()[before]);
    expect(citizenReply).not.toMatch(/dang-nhap/);

    const link = await linkFromTelegram(OFFICER);
    // The link is not kept in the conversation log.
    const logged = await app.db.prisma.conversationMessage.findMany({ where: { text: { contains: "dang-nhap" } } });
    expect(logged).toEqual([]);
    const { page, problems } = await browser();
    await page.goto(link);
    await page.screenshot({ path: artifact("console-1-sign-in.png") });
    // Opening the link alone (as a chat app's link preview would) signs nobody in.
    await page.goto(link);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.waitForURL(/\/console\/tien-do/);
    await expect.poll(() => page.locator("h1").innerText()).toMatch(/Tiến độ: Xã Sen Ngư/);
    expect(await page.locator(".who").innerText()).toMatch(/cán bộ · Xã Sen Ngư/);

    // The same link in another browser: refused.
    const other = await browser();
    await other.page.goto(link);
    await other.page.getByRole("button", { name: "Đăng nhập" }).click();
    await expect.poll(() => other.page.locator("main").innerText()).toMatch(/Liên kết này đã được dùng/);
    await other.page.screenshot({ path: artifact("console-1b-link-used.png") });
    expect((await other.page.goto(`${app.url}/console/tien-do`))!.status()).toBe(401);

    // A second sign-in from the other browser with a fresh link; the first browser lists both and revokes it.
    await signIn(other.page, await linkFromTelegram(OFFICER));
    await page.getByRole("link", { name: "Phiên đăng nhập" }).click();
    await expect.poll(() => page.locator("table tbody tr").count()).toBe(2);
    await page.screenshot({ path: artifact("console-2-sessions.png") });
    await page.locator("table tbody tr:not(.mine)").getByRole("button", { name: /Thu hồi/ }).click();
    await expect.poll(() => page.locator("main").innerText()).toMatch(/Đã thu hồi phiên/);
    expect(await page.locator("table tbody tr").count()).toBe(1);
    expect((await other.page.goto(`${app.url}/console/tien-do`))!.status()).toBe(401);

    // A POST without the form's token is refused.
    const forged = await page.request.post(`${app.url}/console/dang-xuat`, { form: { _csrf: "forged" } });
    expect(forged.status()).toBe(403);

    // Sign out: the cookie no longer opens anything.
    await page.getByRole("button", { name: "Đăng xuất" }).click();
    await expect.poll(() => page.locator("main").innerText()).toMatch(/Bạn đã đăng xuất/);
    expect((await page.goto(`${app.url}/console/tien-do`))!.status()).toBe(401);

    const actions = (await app.db.prisma.auditLog.findMany({ where: { action: { startsWith: "console." } }, orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["console.link", "console.login", "console.login_failed", "console.link", "console.login", "console.session_revoke", "console.logout"]);
    // Only hashes are stored.
    const links = await app.db.prisma.consoleLink.findMany();
    expect(links.every((l) => !link.includes(l.tokenHash))).toBe(true);
    expect(problems).toEqual([]);
  });

  it("a link from Zalo signs in too, and expires unused after 10 minutes", async () => {
    const update = zaloTextUpdate("/web", { userId: ZALO_SUPERVISOR });
    const response = await fetch(`${app.url}/webhooks/zalo`, { method: "POST", headers: { "content-type": "application/json", "x-bot-api-secret-token": ZALO_SECRET }, body: JSON.stringify(update) });
    expect(response.status).toBe(200);
    const text = zalo.texts(ZALO_SUPERVISOR).find((t) => t.includes("dang-nhap"))!;
    const link = /(http\S+\/console\/dang-nhap\?t=\S+)/.exec(text)![1]!;
    await app.db.prisma.consoleLink.updateMany({ where: { usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const { page } = await browser();
    await page.goto(link);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await expect.poll(() => page.locator("main").innerText()).toMatch(/đã hết hạn/);
  });

  it("progress: the commune's indicators with target, change, trend, rank; charts; the 25 services; exports", async () => {
    const { page, problems } = await browser();
    await signIn(page, await linkFromTelegram(OFFICER));
    const table = page.locator("table").first();
    const dvc = table.locator("tr", { hasText: "25 DVC thiết yếu" });
    // Sen Ngư: 350/1000 in October, +2,5 points since September, ranked among the communes of Quảng Trị that reported.
    expect(await dvc.innerText()).toMatch(/35%[\s\S]*tháng 10\/2026[\s\S]*\+2,5 điểm %[\s\S]*6\/6/);
    const cccd = table.locator("tr", { hasText: /CCCD/ }).first();
    expect(await cccd.innerText()).toMatch(/1\.000/); // the assigned target
    expect(await table.locator("svg[role=img]").count()).toBeGreaterThan(0); // trend sparklines
    await page.screenshot({ path: artifact("console-3-progress-commune.png"), fullPage: true });

    await page.getByRole("link", { name: "Bảng 25 dịch vụ công thiết yếu" }).click();
    await expect.poll(() => page.locator("table").first().innerText()).toMatch(/Đăng ký thường trú[\s\S]*26%/);
    await page.screenshot({ path: artifact("console-4-services.png"), fullPage: true });

    // Exports: CSV with a BOM and the importer's headers; an Excel workbook the importer's reader opens.
    const csv = await page.request.get(`${app.url}/console/tien-do/xuat.csv?u=${COMMUNE}`);
    expect(csv.status()).toBe(200);
    const csvText = await csv.text();
    expect(csvText.charCodeAt(0)).toBe(0xfeff);
    expect(csvText).toMatch(/^\uFEFFMã đơn vị,Tên đơn vị,Kỳ báo cáo,Mã chỉ tiêu/);
    expect(csvText).toMatch(new RegExp(`${COMMUNE},Xã Sen Ngư,2026-10,dvc25_tong,.*,350,1000,"35,00"`));
    const xlsx = await page.request.get(`${app.url}/console/tien-do/xuat.xlsx?u=${COMMUNE}`);
    expect(xlsx.headers()["content-type"]).toMatch(/spreadsheetml/);
    const sheet = (await readSheet(Buffer.from(await xlsx.body()))) as unknown[][];
    expect(sheet[0]).toEqual(expect.arrayContaining(["Mã đơn vị", "Tử số"]));
    expect(sheet.some((r) => r[0] === COMMUNE && r[3] === "dvc25_tong" && r[5] === 350)).toBe(true);
    expect(problems).toEqual([]);
  });

  it("an officer cannot see a sibling commune's pages or data by URL", async () => {
    const { page } = await browser();
    await signIn(page, await linkFromTelegram(OFFICER));
    const sibling = siblings[0]!;
    for (const url of [
      `/console/tien-do?u=${sibling.code}`,
      `/console/tien-do/chi-tieu?u=${sibling.code}&i=dvc25_tong`,
      `/console/tien-do/dvc?u=${sibling.code}`,
      `/console/tien-do/xuat.csv?u=${sibling.code}`,
      `/console/tien-do/xuat.xlsx?u=${sibling.code}`,
      `/console/tien-do?u=${PROVINCE}`,
    ]) {
      const response = await page.goto(`${app.url}${url}`).catch(() => null);
      const status = response ? response.status() : (await page.request.get(`${app.url}${url}`)).status();
      expect(status, url).toBe(403);
      const body = await (await page.request.get(`${app.url}${url}`)).text();
      expect(body, url).not.toContain(sibling.name);
      expect(body, url).not.toMatch(/dvc25_tong,.*,\d+/);
    }
    await page.goto(`${app.url}/console/tien-do?u=${sibling.code}`);
    await page.screenshot({ path: artifact("console-5-refused.png") });
  });

  it("a supervisor runs the weekly briefing from the province page: chart of communes, drill-down to one", async () => {
    const { page, problems } = await browser();
    await signIn(page, await linkFromTelegram(SUPERVISOR));
    await expect.poll(() => page.locator("h1").innerText()).toMatch(/Tiến độ: Tỉnh Quảng Trị/);
    // The bar chart of the communes below, weakest marked, with its text alternative.
    const chart = page.locator("main svg.chart").first();
    expect(await chart.locator("title").textContent()).toMatch(/Xã Sen Ngư 35%/);
    await page.screenshot({ path: artifact("console-6-progress-province.png"), fullPage: true });
    await page.getByRole("link", { name: "Xem bảng xếp hạng đầy đủ" }).click();
    const ranking = page.locator("table").first();
    await expect.poll(() => ranking.locator("tbody tr").count()).toBe(6);
    expect(await ranking.locator("tbody tr").last().innerText()).toMatch(/^6\s+Xã Sen Ngư/);
    await page.screenshot({ path: artifact("console-7-indicator.png"), fullPage: true });
    await ranking.getByRole("link", { name: "Xã Sen Ngư" }).click();
    await expect.poll(() => page.locator("h1").innerText()).toMatch(/Tiến độ: Xã Sen Ngư/);
    expect(await page.locator(".crumbs").innerText()).toMatch(/Tỉnh Quảng Trị[\s\S]*Xã Sen Ngư/);
    expect(problems).toEqual([]);
  });

  it("import: a file with a wrong row shows the row-by-row check and imports nothing; a right one is imported after confirmation", async () => {
    const { page, problems } = await browser();
    await signIn(page, await linkFromTelegram(OFFICER));
    const count = () => app.db.prisma.indicatorValue.count({ where: { supersededAt: null } });
    const before = await count();
    const bad = path.join(dir, "bao-cao-thang-11.csv");
    writeFileSync(
      bad,
      [
        "Mã đơn vị,Kỳ báo cáo,Mã chỉ tiêu,Tử số,Mẫu số",
        `${COMMUNE},2026-11,dvc25_tong,400,1000`,
        `${COMMUNE},2026-11,dvc_thuong_tru,120,100`,
        `${siblings[0]!.code},2026-11,dvc25_tong,500,1000`,
      ].join("\n"),
    );
    await page.goto(`${app.url}/console/nhap`);
    await page.getByLabel("Tệp báo cáo (.xlsx hoặc .csv)").setInputFiles(bad);
    await page.getByRole("button", { name: "Kiểm tra tệp" }).click();
    await expect.poll(() => page.locator("main").innerText()).toMatch(/Không nhập gì: 2 dòng có lỗi/);
    expect(await page.locator("tr.bad").count()).toBe(2);
    expect(await page.locator("tr", { hasText: "dvc_thuong_tru" }).innerText()).toMatch(/tử số 120 lớn hơn mẫu số 100/);
    expect(await page.locator("tr", { hasText: siblings[0]!.code }).innerText()).toMatch(/ngoài phạm vi/);
    expect(await page.getByRole("button", { name: /Xác nhận/ }).count()).toBe(0);
    await page.screenshot({ path: artifact("console-8-import-errors.png"), fullPage: true });
    expect(await count()).toBe(before);

    const good = path.join(dir, "bao-cao-thang-11-sua.csv");
    writeFileSync(good, ["Mã đơn vị,Kỳ báo cáo,Mã chỉ tiêu,Tử số,Mẫu số", `${COMMUNE},2026-11,dvc25_tong,400,1000`, `${COMMUNE},2026-11,dvc_thuong_tru,40,100`].join("\n"));
    await page.getByLabel("Tệp báo cáo (.xlsx hoặc .csv)").setInputFiles(good);
    await page.getByRole("button", { name: "Kiểm tra tệp" }).click();
    await page.screenshot({ path: artifact("console-9-import-check.png"), fullPage: true });
    const staged = { id: await page.locator("input[name=id]").inputValue(), _csrf: await page.locator("input[name=_csrf]").first().inputValue() };
    await page.getByRole("button", { name: "Xác nhận nhập 2 dòng" }).click();
    await expect.poll(() => page.locator("main").innerText()).toMatch(/Đã nhập tệp bao-cao-thang-11-sua.csv: 2 số liệu mới/);
    expect(await count()).toBe(before + 2);
    // Confirming the same check twice imports nothing more.
    const again = await page.request.post(`${app.url}/console/nhap/xac-nhan`, { form: staged });
    expect(again.status()).toBe(410);
    expect(await again.text()).toMatch(/hết hạn hoặc đã được xác nhận/);
    expect(await count()).toBe(before + 2);
    const audit = await app.db.prisma.auditLog.findFirst({ where: { action: "indicators.import" }, orderBy: { id: "desc" } });
    expect(audit?.actorLabel).toMatch(/^console:/);
    await page.goto(`${app.url}/console/tien-do`);
    expect(await page.locator("table").first().locator("tr", { hasText: "25 DVC thiết yếu" }).innerText()).toMatch(/40%[\s\S]*tháng 11\/2026/);
    expect(problems).toEqual([]);
  });

  it("handoff inbox: the officer answers a web-chat citizen and a Telegram citizen in the page, closes one, sends one up", async () => {
    const CITIZEN = 7100;
    // A citizen on the web chat (the commune's QR code) and one on Telegram ask the commune's officers.
    const citizen = await browser(360, 740);
    await citizen.page.goto(`${app.url}/chat?unit=${COMMUNE}`);
    await expect.poll(() => citizen.page.locator("#log").innerText(), { timeout: 15_000 }).toMatch(/Xã Sen Ngư/);
    await citizen.page.getByLabel("Câu hỏi của bạn").fill("/hoicanbo toi lam vneid den buoc cuoi ma khong thay ma otp");
    await citizen.page.keyboard.press("Enter");
    await expect.poll(() => citizen.page.locator("#log").innerText(), { timeout: 15_000 }).toMatch(/Đã gửi câu hỏi số \d+/);
    expect((await postTelegram(`/dangky ${COMMUNE}`, CITIZEN)).status).toBe(200);
    expect((await postTelegram("/hoicanbo cho hoi lam can cuoc cho con 6 tuoi o dau", CITIZEN)).status).toBe(200);
    expect((await postTelegram("/hoicanbo thu 7 xa co tiep dan khong", CITIZEN)).status).toBe(200);
    const tickets = await app.db.prisma.handoffTicket.findMany({ where: { unitCode: COMMUNE }, orderBy: { id: "asc" } });
    expect(tickets).toHaveLength(3);
    const [web, telegramOne, telegramTwo] = tickets as [(typeof tickets)[0], (typeof tickets)[0], (typeof tickets)[0]];
    // The first one has waited since three days ago: past the 4 working hours.
    await app.db.prisma.handoffTicket.update({ where: { id: web.id }, data: { createdAt: new Date(Date.now() - 3 * 86_400_000) } });

    const { page, problems } = await browser();
    await signIn(page, await linkFromTelegram(OFFICER));
    await page.getByRole("link", { name: "Câu hỏi chờ trả lời" }).click();
    await expect.poll(() => page.locator("section.ticket").count()).toBe(3);
    const first = page.locator("section.ticket").first();
    expect(await first.innerText()).toMatch(new RegExp(`Câu hỏi số ${web.id}[\\s\\S]*QUÁ HẠN[\\s\\S]*khong thay ma otp`));
    expect(await page.locator("section.ticket.late").count()).toBe(1);
    await page.screenshot({ path: artifact("console-10-inbox.png"), fullPage: true });

    // Answer the web citizen: it appears in their chat page.
    await page.getByLabel(`Trả lời câu hỏi số ${web.id}`).fill("Bạn kiểm tra số điện thoại đăng ký, rồi bấm gửi lại mã sau 2 phút nhé.");
    await page.getByRole("button", { name: "Gửi câu trả lời" }).first().click();
    await expect.poll(() => page.locator("main .notice").innerText()).toMatch(/Đã gửi câu trả lời/);
    await expect.poll(() => citizen.page.locator("#log").innerText(), { timeout: DELIVERY_WAIT_MS }).toMatch(/bấm gửi lại mã sau 2 phút/);
    await citizen.page.screenshot({ path: artifact("console-11-answer-in-web-chat.png") });

    // Answer the Telegram citizen: it reaches their Telegram chat.
    await page.getByLabel(`Trả lời câu hỏi số ${telegramOne.id}`).fill("Bạn đưa cháu ra Công an xã Sen Ngư, mang giấy khai sinh.");
    await page.locator(`form[action="/console/hop-thu/${telegramOne.id}/tra-loi"] button`).click();
    await telegram.waitFor(() => telegram.ok("sendMessage").find((c) => String(c.params.chat_id) === String(CITIZEN) && String(c.params.text).includes("mang giấy khai sinh")), DELIVERY_WAIT_MS);
    expect((await app.db.prisma.handoffTicket.findUniqueOrThrow({ where: { id: telegramOne.id } })).status).toBe("ANSWERED");

    // Close the web one (the citizen is told), send the other Telegram one up to the province.
    page.once("dialog", (d) => void d.accept()); // «Đóng câu hỏi này?» (console.js asks; without JavaScript the form just posts)
    await page.locator(`form[action="/console/hop-thu/${web.id}/dong"] button`).click();
    await expect.poll(() => page.locator("main .notice").innerText()).toMatch(/Đã đóng câu hỏi/);
    await page.locator(`form[action="/console/hop-thu/${telegramTwo.id}/chuyen"] button`).click();
    await expect.poll(() => page.locator("main .notice").innerText()).toMatch(/Đã chuyển câu hỏi lên cấp trên/);
    await telegram.waitFor(() => telegram.ok("sendMessage").find((c) => String(c.params.chat_id) === String(SUPERVISOR) && String(c.params.text).includes("thu 7 xa co tiep dan")), DELIVERY_WAIT_MS);
    expect((await app.db.prisma.handoffTicket.findUniqueOrThrow({ where: { id: web.id } })).status).toBe("CLOSED");
    expect((await app.db.prisma.handoffTicket.findUniqueOrThrow({ where: { id: telegramTwo.id } })).status).toBe("ESCALATED");
    // Closed: gone from the inbox; the answered one waits under «Đã trả lời, chưa đóng».
    expect(await page.locator("main").innerText()).toMatch(/Đã trả lời, chưa đóng \(1\)/);
    expect(await page.locator(`form[action="/console/hop-thu/${web.id}/dong"]`).count()).toBe(0);
    const actions = (await app.db.prisma.auditLog.findMany({ where: { action: { startsWith: "handoff." }, actorLabel: { startsWith: "console:" } }, orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["handoff.answer", "handoff.answer", "handoff.close", "handoff.escalate"]);
    await page.screenshot({ path: artifact("console-12-inbox-after.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(citizen.problems).toEqual([]);
  });

  it("announcements: composed in the page with a preview and counts per channel, reaches fake Telegram and Zalo citizens, progress followed", async () => {
    const ZALO_CITIZEN = "zalo-citizen-1";
    const response = await fetch(`${app.url}/webhooks/zalo`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-bot-api-secret-token": ZALO_SECRET },
      body: JSON.stringify(zaloTextUpdate(`DK ${COMMUNE}`, { userId: ZALO_CITIZEN })),
    });
    expect(response.status).toBe(200);
    expect((await postTelegram(`/dangky ${COMMUNE}`, 7200)).status).toBe(200);
    const subscribed = await app.db.prisma.subscription.findMany({ where: { optedOutAt: null }, include: { identity: true } });
    const expected = (channel: string) => subscribed.filter((x) => x.identity.channel === channel).length;
    expect(expected("ZALO")).toBe(1);

    const { page, problems } = await browser();
    await signIn(page, await linkFromTelegram(SUPERVISOR));
    await page.getByRole("link", { name: "Thông báo" }).click();
    await page.getByLabel("Nội dung thông báo").fill("Thứ Bảy 13/12 Công an xã Sen Ngư làm thẻ căn cước cả ngày, bà con mang theo giấy tờ.");
    await page.screenshot({ path: artifact("console-13-announce-compose.png"), fullPage: true });
    await page.getByRole("button", { name: "Xem trước" }).click();
    await expect.poll(() => page.locator(".preview").innerText()).toMatch(/Thứ Bảy 13\/12 Công an xã Sen Ngư/);
    const counts = page.locator("table").first();
    expect(await counts.locator("tr", { hasText: "Telegram" }).innerText()).toMatch(new RegExp(`\\b${expected("TELEGRAM")}$`));
    expect(await counts.locator("tr", { hasText: "Zalo" }).innerText()).toMatch(/\b1$/);
    await page.screenshot({ path: artifact("console-14-announce-preview.png"), fullPage: true });
    await page.getByRole("button", { name: /^Gửi cho \d+ người$/ }).click();
    await page.waitForURL(/\/console\/thong-bao\/\d+$/);
    await expect.poll(async () => { await page.reload(); return page.locator(".lead").innerText(); }, { timeout: 30_000 }).toMatch(/đã gửi xong/);
    expect(await page.locator("#ket-qua tr", { hasText: "Đã gửi" }).innerText()).toMatch(new RegExp(`${subscribed.length}$`));
    await page.screenshot({ path: artifact("console-15-announce-progress.png"), fullPage: true });
    expect(zalo.texts(ZALO_CITIZEN).some((t) => t.includes("Thứ Bảy 13/12 Công an xã Sen Ngư"))).toBe(true);
    expect(telegram.ok("sendMessage").some((c) => String(c.params.chat_id) === "7200" && String(c.params.text).includes("Thứ Bảy 13/12"))).toBe(true);
    // The supervisor signed in from Telegram: the summary reaches that chat through the outbox when it is done.
    const broadcastId = Number(/\/thong-bao\/(\d+)$/.exec(page.url())![1]);
    const summary = await telegram.waitFor(
      () => telegram.ok("sendMessage").find((c) => String(c.params.chat_id) === String(SUPERVISOR) && String(c.params.text).includes(`Báo cáo thông báo số ${broadcastId}`)),
      DELIVERY_WAIT_MS,
    );
    expect(String(summary.params.text)).toMatch(new RegExp(`Người nhận: ${subscribed.length}\\nĐã gửi: ${subscribed.length}\\nKhông liên lạc được[^\\n]*: 0\\nLỗi: 0`));
    const row = await app.db.prisma.broadcast.findUniqueOrThrow({ where: { id: broadcastId }, include: { reportIdentity: true } });
    expect(row.createdByLabel).toMatch(/^console:\d+$/);
    expect(row.reportIdentity?.externalUserId).toBe(String(SUPERVISOR));
    const audit = await app.db.prisma.auditLog.findFirst({ where: { action: { startsWith: "broadcast." } }, orderBy: { id: "desc" } });
    expect(audit?.actorLabel).toMatch(/^console:/);

    // Scheduled for later, then cancelled from its page: nothing goes out.
    await page.goto(`${app.url}/console/thong-bao`);
    await page.getByLabel("Nội dung thông báo").fill("Lịch tiếp dân tháng Giêng sẽ báo sau.");
    await page.getByLabel("Hẹn giờ gửi (không bắt buộc)").fill("20/01 08:00");
    await page.getByRole("button", { name: "Xem trước" }).click();
    await page.getByRole("button", { name: "Xác nhận hẹn giờ" }).click();
    await expect.poll(() => page.locator(".lead").innerText()).toMatch(/đã hẹn giờ/);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: /Hủy thông báo số/ }).click();
    await expect.poll(() => page.locator(".lead").innerText()).toMatch(/đã hủy/);
    expect(zalo.texts(ZALO_CITIZEN).some((t) => t.includes("tháng Giêng"))).toBe(false);
    expect(problems).toEqual([]);
  });

  it("content review: admins see the questions the bot could not answer, grouped, with the likely intent and the YAML lines; others are refused", async () => {
    // Citizens on Telegram ask what the content does not cover well (one citizen each: no follow-ups).
    const questions = [
      "man hinh quet mat vneid cu xoay hoai",
      "man hinh quet mat vneid cu xoay hoai",
      "vneid cứ xoay hoài ở màn hình quét mặt",
      "chip trên thẻ bị bong ra",
      "the bi bong chip",
      "số 0912 345 678 của tôi bị khóa zalo rồi",
      "tối nay đội tuyển đá mấy giờ",
    ];
    const before = await app.db.prisma.unansweredQuestion.count();
    for (const [i, text] of questions.entries()) expect((await postTelegram(text, 7400 + i)).status).toBe(200);
    await expect
      .poll(() => app.db.prisma.unansweredQuestion.count(), { timeout: 15_000, message: "each question must be one the bot cannot answer (if the matcher now answers one, write another)" })
      .toBe(before + questions.length);
    // Stored redacted: no phone number in the table.
    expect(await app.db.prisma.unansweredQuestion.count({ where: { text: { contains: "0912" } } })).toBe(0);

    // An officer and a supervisor: no menu entry, and the page refuses them by URL.
    for (const user of [OFFICER, SUPERVISOR]) {
      const { page } = await browser();
      await signIn(page, await linkFromTelegram(user));
      expect(await page.getByRole("link", { name: "Rà soát nội dung" }).count()).toBe(0);
      const response = await page.goto(`${app.url}/console/noi-dung`);
      expect(response!.status()).toBe(403);
      expect(await page.locator("main").innerText()).not.toMatch(/xoay hoai|xoay hoài/);
    }

    const { page, problems } = await browser();
    await signIn(page, await linkFromTelegram(ADMIN));
    await page.getByRole("link", { name: "Rà soát nội dung" }).click();
    await expect.poll(() => page.locator("h1").innerText()).toBe("Rà soát nội dung");
    const groups = page.locator("section.review");
    // The two face-scan spellings (asked three times) are one group, first; so are the two loose-chip ones.
    const first = groups.first();
    expect(await first.locator("h2").innerText()).toMatch(/Nhóm 1: «man hinh quet mat vneid cu xoay hoai» · 3 lần hỏi/);
    expect(await first.locator("tbody tr").count()).toBe(2);
    expect(await first.innerText()).toMatch(/Có lẽ thuộc mục: [\s\S]*vneid_loi_ung_dung[\s\S]*intents\/vneid_loi\.yaml[\s\S]*độ tin cậy/);
    const yaml = await first.locator("pre.yaml").innerText();
    expect(yaml).toBe(
      '# intents/vneid_loi.yaml, «- id: vneid_loi_ung_dung», dưới «examples:»\n    - "man hinh quet mat vneid cu xoay hoai"\n    - "vneid cứ xoay hoài ở màn hình quét mặt"',
    );
    const chip = groups.filter({ hasText: "chip trên thẻ bị bong ra" });
    expect(await chip.count()).toBe(1);
    expect(await chip.innerText()).toMatch(/the bi bong chip/);
    // The redacted question is shown redacted and kept out of the YAML lines.
    const main = await page.locator("main").innerText();
    expect(main).toMatch(/\[số điện thoại\] của tôi bị khóa zalo rồi/);
    expect(main).not.toMatch(/0912/);
    expect(await page.locator("pre.yaml", { hasText: "[số điện thoại]" }).count()).toBe(0);
    expect(await groups.filter({ hasText: "đội tuyển" }).locator("pre.yaml").innerText()).toMatch(/^# Chưa rõ thuộc mục nào/);
    await page.screenshot({ path: artifact("console-16-content-review.png"), fullPage: true });
    await page.screenshot({ path: artifact("console-16b-content-review-top.png"), fullPage: true, clip: { x: 0, y: 0, width: 1366, height: 1250 } });

    // Another period.
    await page.getByRole("link", { name: "7 ngày qua" }).click();
    await expect.poll(() => page.locator("main strong", { hasText: "7 ngày qua" }).count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it("an admin lists everyone's open sessions in their area and revokes one; the revoked browser is refused at its next request", async () => {
    const p = app.db.prisma;
    const by = { personId: null, label: "test" };
    // A second officer of the commune whose name on the chat app holds a phone number, and an officer of a
    // commune in another province (outside the admin's area).
    const OFFICER_TWO = 7005;
    const ELSEWHERE = 7006;
    const province = await p.adminUnit.findUniqueOrThrow({ where: { code: PROVINCE } });
    const farCommune = await p.adminUnit.findFirstOrThrow({ where: { level: "COMMUNE", validTo: null, NOT: { path: { startsWith: province.path } } } });
    const two = await personForAccount(p, "telegram", String(OFFICER_TWO));
    await p.person.update({ where: { id: two }, data: { displayName: "Chị Lan 0912 345 678" } });
    await grantRole(p, { personId: two, role: "OFFICER", unitCode: COMMUNE, by });
    await grantRole(p, { personId: await personForAccount(p, "telegram", String(ELSEWHERE)), role: "OFFICER", unitCode: farCommune.code, by });

    const officer = await browser();
    await signIn(officer.page, await linkFromTelegram(OFFICER_TWO));
    const elsewhere = await browser();
    await signIn(elsewhere.page, await linkFromTelegram(ELSEWHERE));
    const supervisor = await browser();
    await signIn(supervisor.page, await linkFromTelegram(SUPERVISOR));
    const sessionOf = async (personId: number) => (await p.consoleSession.findFirstOrThrow({ where: { personId, revokedAt: null }, orderBy: { id: "desc" } })).id;
    const officerSession = await sessionOf(two);
    const supervisorSession = await sessionOf(await personForAccount(p, "telegram", String(SUPERVISOR)));

    // Officers and supervisors may neither list nor revoke others' sessions, even with a valid form token.
    for (const b of [officer, supervisor]) {
      expect((await b.page.goto(`${app.url}/console/phien/moi-nguoi`))!.status()).toBe(403);
      await b.page.goto(`${app.url}/console/phien`);
      expect(await b.page.getByRole("link", { name: /mọi người/ }).count()).toBe(0);
      const csrf = await b.page.locator("input[name=_csrf]").first().inputValue();
      const target = b === officer ? supervisorSession : officerSession;
      const forged = await b.page.request.post(`${app.url}/console/phien/moi-nguoi/${target}/thu-hoi`, { form: { _csrf: csrf } });
      expect(forged.status()).toBe(403);
    }
    expect((await p.consoleSession.findUniqueOrThrow({ where: { id: officerSession } })).revokedAt).toBeNull();
    expect((await p.consoleSession.findUniqueOrThrow({ where: { id: supervisorSession } })).revokedAt).toBeNull();

    const { page, problems } = await browser();
    await signIn(page, await linkFromTelegram(ADMIN));
    await page.getByRole("link", { name: "Phiên đăng nhập", exact: true }).click();
    await page.getByRole("link", { name: /Phiên đăng nhập của mọi người/ }).click();
    await expect.poll(() => page.locator("h1").innerText()).toBe("Phiên đăng nhập của mọi người");
    const table = page.locator("#moi-nguoi");
    const row = table.locator("tbody tr").filter({ has: page.locator(`form[action="/console/phien/moi-nguoi/${officerSession}/thu-hoi"]`) });
    // Who (the name redacted), role and unit, how they signed in, when; no phone number anywhere.
    expect(await row.innerText()).toMatch(/Chị Lan \[số điện thoại\]\s+cán bộ · Xã Sen Ngư\s+Telegram\s+Chrome \d+ · Linux\s+\d\d:\d\d \d\d\/\d\d\/\d{4}\s+\d\d:\d\d \d\d\/\d\d\/\d{4}/);
    const text = await page.locator("main").innerText();
    expect(text).not.toMatch(/0912|345 678/);
    expect(text).toMatch(/giám sát \(tổ công tác\) · Tỉnh Quảng Trị/);
    // The officer of the other province is not in this admin's area.
    expect(text).not.toContain(farCommune.name);
    expect(await page.locator(`form[action="/console/phien/moi-nguoi/${await sessionOf(await personForAccount(p, "telegram", String(ELSEWHERE)))}/thu-hoi"]`).count()).toBe(0);
    await page.screenshot({ path: artifact("console-17-everyones-sessions.png"), fullPage: true });

    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: /Thu hồi phiên của Chị Lan/ }).click();
    await expect.poll(() => page.locator("main .notice").innerText()).toMatch(/Đã thu hồi phiên đăng nhập/);
    expect(await page.locator(`form[action="/console/phien/moi-nguoi/${officerSession}/thu-hoi"]`).count()).toBe(0);
    // The officer's next click is refused; the supervisor's browser still works.
    expect((await officer.page.goto(`${app.url}/console/tien-do`))!.status()).toBe(401);
    expect((await supervisor.page.goto(`${app.url}/console/tien-do`))!.status()).toBe(200);
    const audit = await p.auditLog.findFirstOrThrow({ where: { action: "console.session_revoke" }, orderBy: { id: "desc" } });
    expect(audit.actorLabel).toBe(`console:${await personForAccount(p, "telegram", String(ADMIN))}`);
    expect(audit.detail).toEqual({ sessionId: officerSession, personId: two });
    expect(problems).toEqual([]);
  });

  it("an announcement sent by a console user who signed in from Zalo: its summary reaches their Zalo chat", async () => {
    const postZalo = (text: string) =>
      fetch(`${app.url}/webhooks/zalo`, { method: "POST", headers: { "content-type": "application/json", "x-bot-api-secret-token": ZALO_SECRET }, body: JSON.stringify(zaloTextUpdate(text, { userId: ZALO_SUPERVISOR })) });
    const before = zalo.texts(ZALO_SUPERVISOR).length;
    expect((await postZalo("/web")).status).toBe(200);
    await expect.poll(() => zalo.texts(ZALO_SUPERVISOR).slice(before).find((t) => t.includes("dang-nhap")), { timeout: 15_000 }).toBeTruthy();
    const link = /(http\S+\/console\/dang-nhap\?t=\S+)/.exec(zalo.texts(ZALO_SUPERVISOR).slice(before).find((t) => t.includes("dang-nhap"))!)![1]!;
    const { page, problems } = await browser();
    await signIn(page, link);
    await page.goto(`${app.url}/console/thong-bao`);
    await page.getByLabel("Cán bộ", { exact: true }).check();
    await page.getByLabel("Nội dung thông báo").fill("Giao ban chuyên đề Đề án 06 sáng thứ Hai, các xã chuẩn bị số liệu tháng 11.");
    await page.getByRole("button", { name: "Xem trước" }).click();
    await page.getByRole("button", { name: /^Gửi cho \d+ người$/ }).click();
    await page.waitForURL(/\/console\/thong-bao\/\d+$/);
    const broadcastId = Number(/\/thong-bao\/(\d+)$/.exec(page.url())![1]);
    await expect
      .poll(() => zalo.texts(ZALO_SUPERVISOR).find((t) => t.includes(`Báo cáo thông báo số ${broadcastId}`)), { timeout: DELIVERY_WAIT_MS })
      .toMatch(/Đã gửi: [1-9]\d*\n/);
    // Nothing of it went to a Telegram chat of the creator (they have none).
    expect(telegram.ok("sendMessage").some((c) => String(c.params.text).includes(`Báo cáo thông báo số ${broadcastId}`))).toBe(false);
    expect(problems).toEqual([]);
  });
});
