// Old names after 1/7/2025, on the official list: a citizen asks what their old commune (or district) is
// called now; staff commands taking a unit say "… nay là …" for an old name; a bare old district name is
// answered with the communes that took its communes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAddressLexicon, readAddressQuestion } from "../../src/features/address.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { openTestDatabase } from "../helpers/databases.ts";

describe("reading an address question", () => {
  const lexicon = loadAddressLexicon();
  it("finds the unit and the place words, and lets other questions through", () => {
    expect(readAddressQuestion(lexicon, "Cho em hỏi xã Hưng Thủy huyện Lệ Thủy cũ giờ thuộc xã nào ạ?")).toEqual({
      unit: "xa hung thuy",
      context: ["le", "thuy"],
    });
    expect(readAddressQuestion(lexicon, "huyện Minh Long nay thuộc tỉnh nào")).toEqual({ district: "huyen minh long", context: [] });
    expect(readAddressQuestion(lexicon, "thủ tục cấp lại thẻ căn cước")).toBeNull();
    // Asking, but naming nothing: the FAQ's general answer.
    expect(readAddressQuestion(lexicon, "địa chỉ mới ghi thế nào")).toBeNull();
  });
});

describe("old names in conversation, on the official list", () => {
  let bot: TestCore;
  const ask = async (text: string, user = "dan1") => (await bot.say(text, user)).replies[0]!;

  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" }, db: await openTestDatabase("pglite", true, true) });
    const p = bot.db.prisma;
    await grantRole(p, { personId: await personForAccount(p, "cli", "tinh44"), role: "SUPERVISOR", unitCode: "44", by: { personId: null, label: "test" } });
  }, 180_000);
  afterAll(() => bot?.close());

  it("an old commune with its old district and province, without diacritics: the new one with its province", async () => {
    const reply = await ask("xa sen thuy huyen le thuy quang binh bay gio la xa nao");
    expect(reply.text).toMatch(/^Xã Sen Thủy \(huyện Lệ Thủy, Quảng Bình\) nay là Xã Sen Ngư, tỉnh Quảng Trị\./);
    expect(reply.text).toMatch(/Địa chỉ mới ghi: số nhà, thôn hoặc tổ dân phố, Xã Sen Ngư, tỉnh Quảng Trị/);
    expect(reply.buttons!.flat()).toEqual([{ label: "Nhận thông báo của Xã Sen Ngư", payload: "sub:19288" }]);
    // Nothing is subscribed until the citizen asks for it.
    expect(await bot.db.prisma.subscription.count({ where: { identity: { externalUserId: "dan1" } } })).toBe(0);
  });

  it("written with diacritics and words around it, or with no level word", async () => {
    expect((await ask("Nhà mình ở xã Hưng Thủy trước đây, giờ thuộc xã nào vậy?")).text).toMatch(/^Xã Hưng Thủy \(huyện Lệ Thủy, Quảng Bình\) nay là Xã Sen Ngư, tỉnh Quảng Trị\./);
    expect((await ask("sen thuy le thuy nay thuoc xa nao")).text).toMatch(/nay là Xã Sen Ngư, tỉnh Quảng Trị/);
  });

  it("the old district named picks the right one of two namesakes", async () => {
    // Long Hiệp (huyện Minh Long, Quảng Ngãi) became Xã Minh Long; another Xã Long Hiệp exists in Vĩnh Long today.
    const reply = await ask("xã Long Hiệp huyện Minh Long giờ là xã nào");
    expect(reply.text).toMatch(/Xã Long Hiệp \(huyện Minh Long, Quảng Ngãi\) nay là Xã Minh Long, tỉnh Quảng Ngãi\./);
    expect(reply.text).not.toMatch(/Vĩnh Long/);
  });

  it("a current name is said to be current; a split old one lists its successors to choose from", async () => {
    expect((await ask("phường Đồng Hới giờ tên là gì")).text).toMatch(/^Phường Đồng Hới \(tỉnh Quảng Trị\) là tên đang dùng từ 1\/7\/2025/);
    const split = await ask("phuong nga tu so quan dong da ha noi gio la phuong nao");
    expect(split.text).toMatch(/Phường Ngã Tư Sở \(quận Đống Đa, thành phố Hà Nội\) nay được chia cho: .*Phường Kim Liên.*Phường Đống Đa|Phường Đống Đa.*Phường Kim Liên/);
    expect(split.buttons!.flat()).toHaveLength(2);
  });

  it("an unknown name says so; a question naming no unit gets the FAQ's general answer", async () => {
    expect((await ask("xã Abcxyz giờ là xã nào")).text).toMatch(/chưa tìm thấy xã, phường nào tên/);
    const general = await bot.say("sau sáp nhập tỉnh thì địa chỉ mới ghi thế nào", "dan2");
    expect(general.outcome.intentId).toBe("sap_nhap_don_vi");
    expect(general.replies[0]!.text).not.toMatch(/chưa tìm thấy/);
  });

  it("a bare old district name: districts are gone, here are the communes", async () => {
    for (const text of ["huyện Lệ Thủy", "/dangky huyen le thuy"]) {
      const reply = await ask(text, "dan3");
      expect(reply.text).toMatch(/^Từ 1\/7\/2025 không còn cấp huyện\. Huyện Lệ Thủy \(Quảng Bình cũ\) nay thuộc tỉnh Quảng Trị; các xã, thị trấn của huyện đã nhập vào 7 xã, phường: Xã Cam Hồng, Xã Kim Ngân, Xã Lệ Ninh, Xã Lệ Thủy, Xã Sen Ngư, Xã Tân Mỹ, Xã Trường Phú\./);
      expect(reply.text).toMatch(/Xã Sen Ngư/);
      expect(reply.buttons!.flat().map((b) => b.payload)).toContain("sub:19288");
    }
    expect(await bot.db.prisma.subscription.count({ where: { identity: { externalUserId: "dan3" } } })).toBe(0);
  });

  it("/tiendo and /moi with an old name say what it is called now", async () => {
    const tiendo = await ask("/tiendo sen thuy", "tinh44");
    expect(tiendo.text).toMatch(/^Xã Sen Thủy \(huyện Lệ Thủy, Quảng Bình\) nay là Xã Sen Ngư, tỉnh Quảng Trị\.\n/);
    const invite = await ask("/moi canbo Sen Thuy", "tinh44");
    expect(invite.text).toMatch(/^Xã Sen Thủy \(huyện Lệ Thủy, Quảng Bình\) nay là Xã Sen Ngư, tỉnh Quảng Trị\.\n/);
    expect(invite.text).toMatch(/Xã Sen Ngư/);
    const code = await bot.db.prisma.inviteCode.findFirstOrThrow({ orderBy: { id: "desc" } });
    expect(code.unitCode).toBe("19288");
    // A split old ward must be named again.
    expect((await ask("/moi canbo Ngã Tư Sở", "tinh44")).text).toMatch(/nay được chia cho[\s\S]*gõ lại tên hoặc mã của đơn vị mới/);
  });
});
