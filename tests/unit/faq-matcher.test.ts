import { describe, expect, it } from "vitest";
import { buildKnowledgeBase, type Intent, loadKnowledgeBase } from "../../src/features/faq/knowledge.ts";
import { FaqMatcher, salientClauses } from "../../src/features/faq/matcher.ts";

const kb = loadKnowledgeBase();
const matcher = new FaqMatcher(kb);

describe("FaqMatcher: specific behaviour", () => {
  it("answers teencode without diacritics", () => {
    const r = matcher.match("ko nhan dc ma kich hoat vneid");
    expect(r.best?.intentId).toBe("vneid_khong_nhan_otp");
    expect(r.decision).toBe("answer");
  });

  it("answers the same question typed with diacritics", () => {
    const r = matcher.match("Không nhận được mã kích hoạt VNeID!!!");
    expect(r.best?.intentId).toBe("vneid_khong_nhan_otp");
    expect(r.decision).toBe("answer");
  });

  // 60+ words, no punctuation, the question buried in a story.
  const rambling =
    "chào ad cho tôi hỏi chút việc là hôm trước tôi có nhờ thằng cháu nó cài giúp cái ứng dụng định danh " +
    "vào điện thoại để đi làm giấy tờ cho tiện mà lâu rồi không mở ra giờ mở lại thì nó bắt nhập mật khẩu " +
    "mà tôi nhớ mãi không ra là số gì thằng cháu thì đi làm xa rồi giờ tôi phải làm sao để vào lại được đây";

  it("finds the question in a 60-word rambling message, with or without diacritics", () => {
    expect(rambling.split(" ").length).toBeGreaterThanOrEqual(60);
    for (const text of [rambling, rambling.normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d")]) {
      const r = matcher.match(text);
      expect(r.best?.intentId).toBe("vneid_quen_mat_khau");
      expect(r.decision).toBe("answer");
    }
  });

  it("answers the question clause of a long story that is not answered as a whole", () => {
    const story =
      "con gái tôi lấy chồng ở Đà Nẵng, năm nay nó sinh cháu thứ hai, cả nhà mừng lắm, ông bà nội ngoại đều vào thăm, mà tôi bị mất thẻ căn cước thì làm lại ở đâu";
    const r = matcher.match(story);
    expect(r).toMatchObject({ decision: "answer", best: { intentId: "cancuoc_mat_cap_lai" } });
    expect(salientClauses(story)).toContain("mà tôi bị mất thẻ căn cước thì làm lại ở đâu");
    expect(salientClauses("mất thẻ căn cước, làm lại ở đâu")).toEqual([]); // short messages are read whole
    // A long message with no question in any clause still falls back.
    expect(matcher.match("hôm nay trời đẹp, cả nhà đi chơi công viên, ăn kem rồi về, tối xem phim hoạt hình với các cháu").decision).toBe("fallback");
  });

  it("does not count ages, years and other numbers no intent uses as evidence against every intent", () => {
    const plain = matcher.analyze("thẻ căn cước làm lúc đó có phải đổi không");
    const withNumbers = matcher.analyze("ông tôi 70 tuổi, thẻ căn cước làm năm 2020 lúc 65 tuổi có phải đổi không");
    expect(withNumbers.unknown).toBeLessThanOrEqual(plain.unknown + 0.05);
    expect(matcher.match("ông tôi 70 tuổi, thẻ căn cước làm năm 2020 lúc 65 tuổi có phải đổi không").best?.intentId).toBe("cancuoc_doi_theo_tuoi");
  });

  it("is not fooled by word order", () => {
    const r = matcher.match("vneid mật khẩu quên rồi lấy lại sao");
    expect(r.best?.intentId).toBe("vneid_quen_mat_khau");
    expect(r.decision).not.toBe("fallback");
  });

  it("falls back on clearly out-of-scope messages", () => {
    for (const text of ["giá vàng hôm nay", "gia vang hom nay", "asdfgh", "thời tiết ngày mai thế nào", "kết quả xổ số hôm qua", "lịch bóng đá tối nay", "chào bạn"]) {
      expect(matcher.match(text).decision, text).toBe("fallback");
    }
  });

  it("falls back on empty, emoji-only and punctuation-only messages, with no best intent", () => {
    for (const text of ["", "   ", "😀😀😀", "👍", "???!!!", "..."]) {
      expect(matcher.match(text), JSON.stringify(text)).toEqual({ best: null, runnersUp: [], decision: "fallback" });
    }
  });

  it("offers choices when a message fits several intents, unless the close ones are related (then the answer links them)", () => {
    const r = matcher.match("mức 2");
    expect(r.runnersUp.length).toBeGreaterThan(0);
    if (r.decision === "answer") {
      const isRelated = (a: string, b: string) => kb.byId.get(a)!.related.includes(b) || kb.byId.get(b)!.related.includes(a);
      for (const c of r.runnersUp.filter((c) => c.confidence >= matcher.answerThreshold)) expect(isRelated(r.best!.intentId, c.intentId)).toBe(true);
    }
    // Two intents that both fit equally: the person chooses, unless one lists the other as related.
    const make = (id: string, words: string, related: string[] = []): Intent => ({
      id, title: id, topic: "t", examples: Array.from({ length: 10 }, (_, k) => `${words} lần ${k}`), keywords: [words],
      related, basis: ["x"], reviewed: "2026-01-01", answer: "a", steps: [],
    });
    const tie = "đổi bằng lái nộp phạt nguội";
    const unrelated = new FaqMatcher(buildKnowledgeBase([make("a", "đổi bằng lái"), make("b", "nộp phạt nguội")], kb.lexicon), { answerThreshold: 0 });
    expect(unrelated.match(tie).decision).toBe("suggest");
    const related = new FaqMatcher(buildKnowledgeBase([make("a", "đổi bằng lái", ["b"]), make("b", "nộp phạt nguội")], kb.lexicon), { answerThreshold: 0 });
    expect(related.match(tie).decision).toBe("answer");
  });

  it("returns confidences in [0, 1], runners-up at most 3 and not above the best", () => {
    for (const text of ["can cuoc", "đăng ký tạm trú cho người thuê trọ", "vneid", "làm sao", "khai sinh cho con"]) {
      const r = matcher.match(text);
      expect(r.best).not.toBeNull();
      expect(r.runnersUp.length).toBeLessThanOrEqual(3);
      for (const c of [r.best!, ...r.runnersUp]) {
        expect(c.confidence).toBeGreaterThanOrEqual(0);
        expect(c.confidence).toBeLessThanOrEqual(1);
        expect(c.confidence).toBeLessThanOrEqual(r.best!.confidence);
        expect(kb.byId.has(c.intentId)).toBe(true);
      }
      expect(new Set([r.best!.intentId, ...r.runnersUp.map((c) => c.intentId)]).size).toBe(1 + r.runnersUp.length);
    }
  });

  it("uses the accents the user typed: 'vàng' (gold) is not 'vắng' (absent)", () => {
    expect(matcher.match("khai báo tạm vắng").best?.intentId).toBe("cutru_tam_vang");
    const gold = matcher.match("giá vàng");
    expect(gold.decision).toBe("fallback");
  });

  it("tolerates typos and words typed joined up", () => {
    expect(matcher.match("kichhoat tai khoan dinh danh").best?.intentId).toBe("vneid_kich_hoat");
    expect(matcher.match("quen matkhau vneidd").best?.intentId).toBe("vneid_quen_mat_khau");
  });

  it("is deterministic and keeps no state between messages", () => {
    const a = matcher.match("làm lại thẻ căn cước bị mất");
    matcher.match("ko nhan dc otp");
    expect(matcher.match("làm lại thẻ căn cước bị mất")).toEqual(a);
  });

  it("honours explicit thresholds", () => {
    const strict = new FaqMatcher(kb, { answerThreshold: 1, suggestThreshold: 1 });
    expect(strict.match("ko nhan dc ma kich hoat vneid").decision).toBe("fallback");
    const lax = new FaqMatcher(kb, { answerThreshold: 0, suggestThreshold: 0 });
    expect(lax.match("giá vàng hôm nay").decision).toBe("answer");
  });

  it("works on a small synthetic knowledge base", () => {
    const make = (id: string, words: string): Intent => ({
      id,
      title: id,
      topic: "t",
      examples: Array.from({ length: 10 }, (_, k) => `${words} lần ${k}`),
      keywords: [words],
      related: [],
      basis: ["x"],
      reviewed: "2026-01-01",
      answer: "a",
      steps: [],
    });
    const small = new FaqMatcher(buildKnowledgeBase([make("a", "đổi bằng lái"), make("b", "nộp phạt nguội")], kb.lexicon));
    expect(small.size).toBe(2);
    expect(small.match("nop phat nguoi o dau").best?.intentId).toBe("b");
    expect(small.match("").best).toBeNull();
  });
});
