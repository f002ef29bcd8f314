// The FAQ in conversation: answers with guides, suggestions, the topic menu, and the unanswered log.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { topUnanswered } from "../../src/features/faq/index.ts";
import { loadKnowledgeBase } from "../../src/features/faq/knowledge.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";

const payloads = (reply: { buttons?: Array<Array<{ payload: string }>> }) => (reply.buttons ?? []).flat().map((b) => b.payload);

describe("FAQ conversation", () => {
  let bot: TestCore;
  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
  });
  afterAll(() => bot.close());

  it("answers a teencode question and walks through its guide one step per message", async () => {
    const first = await bot.say("ko nhan dc ma kich hoat vneid");
    expect(first.outcome).toMatchObject({ intentId: "vneid_khong_nhan_otp", fallback: false });
    const answer = first.replies[0]!;
    expect(answer.text.length).toBeLessThanOrEqual(700);
    // Its guide, the first two related intents as buttons, then an officer and the menu.
    expect(payloads(answer)).toEqual([
      "faq:s:vneid_khong_nhan_otp:1",
      ...loadKnowledgeBase().byId.get("vneid_khong_nhan_otp")!.related.slice(0, 2).map((id) => `faq:a:${id}`),
      "handoff:start",
      "menu",
    ]);
    expect(answer.text).not.toMatch(/xem mục/i);

    const step1 = (await bot.press("faq:s:vneid_khong_nhan_otp:1")).replies[0]!;
    expect(step1.text.length).toBeLessThanOrEqual(700);
    expect(step1.buttons!.flat().find((b) => b.payload.endsWith(":2"))!.label).toMatch(/^Bước tiếp \(2\/\d+\)$/);
    expect(payloads(step1)).toContain("faq:s:vneid_khong_nhan_otp:2");
    expect(payloads(step1)).toContain("faq:a:vneid_khong_nhan_otp"); // Quay lại from step 1: the answer
    const step2 = (await bot.press("faq:s:vneid_khong_nhan_otp:2")).replies[0]!;
    expect(payloads(step2)).toContain("faq:s:vneid_khong_nhan_otp:1");
    // Every payload fits Telegram's 64-byte callback data.
    for (const p of [...payloads(answer), ...payloads(step1), ...payloads(step2)]) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(64);
  });

  it("opens a topic from the menu and answers the chosen question", async () => {
    const start = (await bot.say("/start")).replies[0]!;
    expect(payloads(start)).toEqual(expect.arrayContaining(["faq:t:vneid", "faq:t:cancuoc", "handoff:start"]));
    const topic = (await bot.press("faq:t:cutru")).replies[0]!;
    expect(payloads(topic)).toContain("faq:a:cutru_so_ho_khau");
    const answer = await bot.press("faq:a:cutru_so_ho_khau");
    expect(answer.outcome.intentId).toBe("cutru_so_ho_khau");
    expect(answer.replies[0]!.text).toMatch(/hộ khẩu/i);
  });

  it("falls back politely on out-of-scope questions, offers the menu and an officer, and records them redacted", async () => {
    for (const q of ["giá vàng hôm nay", "gia vang hom nay", "asdfgh", "😀😀"]) {
      const r = await bot.say(q, "oos-user");
      expect(r.outcome.fallback, q).toBe(true);
      expect(payloads(r.replies[0]!)).toContain("handoff:start");
    }
    await bot.say("sdt 0912345678 cua toi bi khoa tai khoan ngan hang", "oos-user");
    const stored = await bot.db.prisma.unansweredQuestion.findMany();
    expect(stored.map((s) => s.text).join(" ")).not.toMatch(/0912345678/);
    const top = await topUnanswered(bot.db.prisma, 10);
    expect(top.find((t) => /gia vang|giá vàng/.test(t.text))!.count).toBe(2);
  });

  it("treats an old button of a removed intent gracefully", async () => {
    const r = await bot.press("faq:a:no_such_intent");
    expect(r.replies[0]!.text).toMatch(/chưa hiểu rõ/);
  });
});

describe("admin unanswered and faq export", () => {
  const root = path.resolve(import.meta.dirname, "../..");
  const tsx = path.join(root, "node_modules/.bin/tsx");
  const dataDir = mkdtempSync(path.join(tmpdir(), "troly06-faq-"));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", DATABASE_URL: "", REDIS_URL: "" };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("lists the most frequent unanswered questions", async () => {
    const run = promisify(execFile);
    await run(tsx, ["src/cli/ask.ts", "xo so mien bac hom nay"], { cwd: root, env });
    await run(tsx, ["src/cli/ask.ts", "XỔ SỐ MIỀN BẮC HÔM NAY"], { cwd: root, env });
    const { stdout } = await run(tsx, ["src/cli/admin.ts", "unanswered"], { cwd: root, env });
    expect(stdout).toMatch(/^\s+2\s+.*(xo so|XỔ SỐ)/im);
  }, 120_000);
});
