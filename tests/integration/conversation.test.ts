// A conversation through the real pipeline, on each channel the core serves: typed choices instead of
// buttons, follow-ups read against the last answer, self-corrections, small talk, forms of address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelName } from "../../src/core/types.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const channels: ChannelName[] = ["cli", "telegram", "zalo"];
const payloads = (reply: { buttons?: Array<Array<{ payload: string }>> } | undefined) => (reply?.buttons ?? []).flat().map((b) => b.payload);

describe.each(channels)("conversation on %s", (channel) => {
  let bot: TestCore;
  let n = 0;
  // A fresh person for every test: nothing carries over between them.
  const person = () => {
    const user = `${channel}-person-${++n}`;
    return {
      say: (text: string, at = new Date()) =>
        bot.pipeline.handle({ channel, userId: user, chatId: user, text, receivedAt: at }),
    };
  };
  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    await seedCurrentUnits(bot.db.prisma);
  });
  afterAll(() => bot.close());

  it("walks a guide with typed «tiếp», «quay lại» and numbers", async () => {
    const p = person();
    const answer = await p.say("không nhận được mã otp vneid");
    expect(answer.outcome.intentId).toBe("vneid_khong_nhan_otp");
    const step1 = await p.say("tiếp");
    expect(step1.replies[0]!.text).toMatch(/^Bước 1/);
    const step2 = await p.say("bước tiếp nhé");
    expect(step2.replies[0]!.text).toMatch(/^Bước 2/);
    const back = await p.say("quay lại");
    expect(back.replies[0]!.text).toMatch(/^Bước 1/);
    // Step 1 offers [Quay lại] [Bước tiếp (2/n)] [Hỏi cán bộ] [Chủ đề khác]: "2" is the second one.
    const second = await p.say("2");
    expect(second.replies[0]!.text).toMatch(/^Bước 2/);
  });

  it("chooses a suggestion or a topic by its number", async () => {
    const p = person();
    const start = await p.say("/start");
    const topics = payloads(start.replies[0]);
    const third = topics[2]!;
    expect(third).toMatch(/^faq:t:/);
    const topic = await p.say("số 3");
    expect(topic.replies[0]!.text).toContain(":"); // the topic's introduction
    const firstQuestion = payloads(topic.replies[0])[0]!.replace("faq:a:", "");
    const chosen = await p.say("cái đầu tiên");
    expect(chosen.outcome.intentId).toBe(firstQuestion);
  });

  it("answers in the first reply what the question asked beyond the short answer", async () => {
    const p = person();
    // The short answer on the criminal record extract does not say which form to choose; its guide does.
    const reply = await p.say("xin lý lịch tư pháp trên vneid thì chọn loại phiếu nào");
    expect(reply.outcome.intentId).toBe("dvc_ly_lich_tu_phap");
    const text = reply.replies[0]!.text;
    expect(text).toContain("Về điều Bạn hỏi thêm:");
    expect(text).toMatch(/- Chọn loại phiếu: thường là Phiếu số 1/);
    // A question the short answer covers gets the short answer alone.
    const plain = await p.say("quên mật khẩu vneid phải làm sao");
    expect(plain.replies[0]!.text).not.toContain("Về điều Bạn hỏi thêm:");
  });

  it("answers two questions in one message, and a follow-up on «việc thứ 2»", async () => {
    const p = person();
    const both = await p.say("cho hỏi 2 việc: cách lấy lại mật khẩu VNeID và thủ tục đăng ký tạm trú cho người thuê trọ");
    const text = both.replies[0]!.text;
    expect(text).toMatch(/^Bạn hỏi 2 việc/);
    expect(text.indexOf("1. «")).toBeLessThan(text.indexOf("2. «"));
    expect(payloads(both.replies[0]).slice(0, 2)).toEqual(["faq:s:vneid_quen_mat_khau:1", "faq:s:cutru_tam_tru:1"]);
    // A typed number chooses the button: the first question's guide.
    const first = await p.say("1");
    expect(first.outcome.intentId).toBe("vneid_quen_mat_khau");
    expect(first.replies[0]!.text).toMatch(/^Bước 1/);

    const q = person();
    await q.say("cho hỏi 2 việc: cách lấy lại mật khẩu VNeID và thủ tục đăng ký tạm trú cho người thuê trọ");
    const second = await q.say("việc thứ 2 cần mang giấy tờ gì");
    expect(second.outcome.intentId).toBe("cutru_tam_tru");
    expect(second.replies[0]!.text).toMatch(/^Về «/);
  });

  it("answers a follow-up about the fee or the place from the last answer", async () => {
    const p = person();
    const lost = await p.say("mất thẻ căn cước rồi làm sao");
    expect(lost.outcome.intentId).toBe("cancuoc_mat_cap_lai");
    const fee = await p.say("phí bao nhiêu?");
    expect(fee.outcome.fallback).toBe(false);
    expect(fee.replies[0]!.text).toMatch(/70\.000 đồng/);
    const where = await p.say("làm online được không");
    expect(where.replies[0]!.text).toMatch(/VNeID|Dịch vụ công/);
    // A longer question about the place, not answered on its own, is about the last topic too.
    const q = person();
    expect((await q.say("thủ tục đăng ký kết hôn thế nào")).outcome.intentId).toBe("dvc_dang_ky_ket_hon");
    const place = await q.say("vợ sắp cưới quê tỉnh khác thì nộp ở đâu");
    expect(place.outcome.intentId).toBe("dvc_dang_ky_ket_hon");
    expect(place.replies[0]!.text).toMatch(/UBND cấp xã/);
    // The same short question without a conversation before it is not answered about lost cards.
    const cold = await person().say("phí bao nhiêu?");
    expect(cold.replies[0]!.text).not.toMatch(/70\.000 đồng/);
  });

  it("reads «còn … thì sao» and «à không, ý tôi là …» against the last topic", async () => {
    const p = person();
    expect((await p.say("thẻ căn cước hết hạn thì đổi ở đâu")).outcome.fallback).toBe(false);
    const mother = await p.say("à không, ý tôi là thẻ của mẹ tôi, mẹ tôi năm nay 70 tuổi");
    expect(mother.outcome.intentId).toBe("cancuoc_doi_theo_tuoi");
    expect(mother.replies[0]!.text).toMatch(/suốt đời/);

    const q = person();
    expect((await q.say("đăng ký tạm trú cần giấy tờ gì")).outcome.intentId).toBe("cutru_tam_tru");
    const stay = await q.say("còn tạm vắng thì sao");
    expect(stay.outcome.intentId).toBe("cutru_tam_vang");
  });

  it("forgets the topic after half an hour of silence", async () => {
    const p = person();
    const t0 = new Date("2026-12-03T08:00:00Z");
    await p.say("mất thẻ căn cước rồi làm sao", t0);
    const late = await p.say("phí bao nhiêu?", new Date(t0.getTime() + 45 * 60_000));
    expect(late.replies[0]!.text).not.toMatch(/Mất, hỏng thẻ căn cước/);
  });

  it("answers greetings and thanks warmly, never «hỏi ngắn hơn»", async () => {
    const p = person();
    const hello = await p.say("chào bạn");
    expect(hello.replies[0]!.text).toMatch(/^Chào/);
    expect(payloads(hello.replies[0])).toContain("faq:t:vneid");
    for (const thanks of ["cảm ơn nhiều nhé", "thanks ad", "ok cam on"]) {
      const reply = await p.say(thanks);
      expect(reply.outcome.fallback).toBe(false);
      expect(reply.replies[0]!.text).toMatch(/rất vui/);
      expect(reply.replies[0]!.text).not.toMatch(/ngắn hơn/);
    }
    expect((await p.say("tạm biệt")).replies[0]!.text).toMatch(/Chúc/);
  });

  it("says what it helps with when asked, with the topic menu", async () => {
    for (const q of ["bot làm được gì", "chào ad, ad giúp được những gì", "ban co the ho tro gi"]) {
      const reply = await person().say(q);
      expect(reply.outcome.fallback, q).toBe(false);
      expect(reply.replies[0]!.text, q).toMatch(/Tôi là Trợ lý 06\. Tôi hướng dẫn/);
      expect(payloads(reply.replies[0]), q).toContain("faq:t:cancuoc");
    }
  });

  it("answers «tried everything and it still fails» with whom to turn to for the last topic", async () => {
    const p = person();
    expect((await p.say("vneid bao loi he thong")).outcome.intentId).toBe("vneid_loi_ung_dung");
    const stuck = await p.say("tôi làm theo hết rồi nhưng vẫn lỗi");
    expect(stuck.outcome).toMatchObject({ intentId: "vneid_loi_ung_dung", fallback: false });
    expect(stuck.replies[0]!.text).toMatch(/1900 0368|Công an cấp xã/);
  });

  it("keeps staff replies as written, whatever form of address the officer uses", async () => {
    const user = `${channel}-officer`;
    const personId = await personForAccount(bot.db.prisma, channel, user);
    await grantRole(bot.db.prisma, { personId, role: "OFFICER", unitCode: "44", by: { personId: null, label: "test" } });
    const reply = await bot.pipeline.handle({ channel, userId: user, chatId: user, text: "cho anh hỏi đăng ký tạm trú ở đâu", receivedAt: new Date() });
    expect(reply.replies[0]!.text).toMatch(/Bạn/);
    expect(reply.replies[0]!.text).not.toMatch(/Anh (đến|có|mang)/);
  });

  it("speaks to «bác» as «bác» for the rest of the conversation", async () => {
    const p = person();
    const first = await p.say("cho bác hỏi đăng ký tạm trú ở đâu");
    expect(first.replies[0]!.text).toMatch(/Bác/);
    expect(first.replies[0]!.text).not.toMatch(/\bBạn\b/u);
    const thanks = await p.say("cảm ơn cháu");
    expect(thanks.replies[0]!.text).toMatch(/giúp bác/);
  });
});

describe("answer policy when the matcher is not sure", () => {
  let bot: TestCore;
  beforeAll(async () => {
    // Nothing is answered outright, everything in scope is "not sure": the reply's shape depends on the confidence alone.
    bot = await createTestCore({ faqOptions: { answerThreshold: 1.01, suggestThreshold: 0 } });
  });
  afterAll(() => bot.close());

  it("gives a likely answer at once, with the close alternatives as buttons", async () => {
    const r = await bot.say("vneid mức 2", "policy-1");
    expect(r.outcome.intentId).not.toBeNull();
    expect(r.outcome.confidence).toBeGreaterThanOrEqual(0.6);
    const reply = r.replies[0]!;
    expect(reply.text).toMatch(/^Tôi hiểu là bạn hỏi về «.+»:\n/);
    expect(reply.text).toMatch(/mức 2/);
    const alternatives = (reply.buttons ?? []).flat().filter((b) => b.label.startsWith("Hay là: "));
    expect(alternatives.length).toBeGreaterThan(0);
    expect(alternatives.map((b) => b.payload.replace("faq:a:", ""))).toEqual(r.outcome.suggestions);
    // "1"… the likely answer's guide or an alternative can be typed too.
    const chosen = await bot.say("Hay là: " + alternatives[0]!.label.slice("Hay là: ".length), "policy-1");
    expect(chosen.outcome.intentId).toBe(r.outcome.suggestions[0]);
  });

  it("offers only «Ý bạn là» when even the best candidate is unlikely", async () => {
    const r = await bot.say("đổi căn cước", "policy-2");
    expect(r.outcome.intentId).toBeNull();
    expect(r.outcome.confidence).toBeLessThan(0.6);
    expect(r.replies[0]!.text).toMatch(/Ý bạn là/);
    expect(r.outcome.suggestions.length).toBeGreaterThan(1);
  });
});
