// The conversational word lists (content/conversation.yaml) and what they decide: typed choices,
// small talk, forms of address, follow-ups.
import { describe, expect, it } from "vitest";
import {
  detectAddress,
  loadConversationLexicon,
  offeredChoices,
  pickTypedChoice,
  smalltalkKind,
  speakTo,
} from "../../src/core/conversation.ts";
import { analyzeFollowUp, readContext } from "../../src/features/faq/followup.ts";

const lex = loadConversationLexicon();
const guide = [
  { label: "Quay lại", payload: "faq:a:x" },
  { label: "Bước tiếp (3/5)", payload: "faq:s:x:3" },
  { label: "Hỏi cán bộ", payload: "handoff:start" },
  { label: "Chủ đề khác", payload: "menu" },
];

describe("typed choices", () => {
  it("reads numbers, ordinals and label phrases against the offered buttons", () => {
    expect(pickTypedChoice("2", guide, lex)?.payload).toBe("faq:s:x:3");
    expect(pickTypedChoice(" số 3 ạ", guide, lex)?.payload).toBe("handoff:start");
    expect(pickTypedChoice("cái thứ hai", guide, lex)?.payload).toBe("faq:s:x:3");
    expect(pickTypedChoice("chọn cái cuối", guide, lex)?.payload).toBe("menu");
    expect(pickTypedChoice("tiếp", guide, lex)?.payload).toBe("faq:s:x:3");
    expect(pickTypedChoice("buoc tiep nhe", guide, lex)?.payload).toBe("faq:s:x:3");
    expect(pickTypedChoice("quay lai", guide, lex)?.payload).toBe("faq:a:x");
    expect(pickTypedChoice("Hỏi cán bộ", guide, lex)?.payload).toBe("handoff:start");
  });

  it("leaves questions, out-of-range numbers and a missing button alone", () => {
    expect(pickTypedChoice("9", guide, lex)).toBeNull();
    expect(pickTypedChoice("con tôi 2 tuổi", guide, lex)).toBeNull();
    expect(pickTypedChoice("hai", guide, lex)).toBeNull(); // a bare word is not a choice ("hai" may be anything)
    expect(pickTypedChoice("tiếp", [{ label: "Hỏi cán bộ", payload: "handoff:start" }], lex)).toBeNull();
    expect(pickTypedChoice("2", [], lex)).toBeNull();
  });

  it("forgets offered buttons after a day", () => {
    const state = { offered: { buttons: guide, at: 0 } };
    expect(offeredChoices(state, 3_600_000)).toHaveLength(4);
    expect(offeredChoices(state, 25 * 3_600_000)).toEqual([]);
    expect(offeredChoices({ offered: "garbage" })).toEqual([]);
  });
});

describe("small talk", () => {
  it("knows greetings, thanks, goodbyes and acknowledgements, with forms of address and particles", () => {
    expect(smalltalkKind("chào bạn", lex)).toBe("greet");
    expect(smalltalkKind("Chao ad a", lex)).toBe("greet");
    expect(smalltalkKind("cảm ơn cháu nhiều nhé", lex)).toBe("thanks");
    expect(smalltalkKind("ok cam on", lex)).toBe("thanks");
    expect(smalltalkKind("tạm biệt nhé", lex)).toBe("bye");
    expect(smalltalkKind("dạ vâng", lex)).toBe("ack");
    expect(smalltalkKind("bot làm được gì", lex)).toBe("help");
    expect(smalltalkKind("chào bạn, bạn có thể giúp gì", lex)).toBe("help");
    expect(smalltalkKind("bot giúp được những việc gì vậy", lex)).toBe("help");
    expect(smalltalkKind("vneid là gì", lex)).toBeNull();
  });

  it("does not take a question for small talk", () => {
    expect(smalltalkKind("chào bạn, làm căn cước ở đâu", lex)).toBeNull();
    expect(smalltalkKind("cảm ơn, còn phí bao nhiêu", lex)).toBeNull();
    expect(smalltalkKind("", lex)).toBeNull();
  });
});

describe("forms of address", () => {
  it("finds how the person speaks of themselves", () => {
    expect(detectAddress("cho bác hỏi làm thẻ ở đâu", lex)).toBe("bác");
    expect(detectAddress("Cô muốn đổi số điện thoại", lex)).toBe("cô");
    expect(detectAddress("cháu ơi chú không biết kích hoạt", lex)).toBe("chú");
    expect(detectAddress("chau oi cho bac hoi lam the o dau", lex)).toBe("bác");
  });

  it("ignores someone else and words that only look like a form without diacritics", () => {
    expect(detectAddress("bà nội em 80 tuổi làm thẻ ở đâu", lex)).toBeNull();
    expect(detectAddress("co muon lam the", lex)).toBeNull(); // "có", not "cô"
    expect(detectAddress("anh co can chup lai khong", lex)).toBeNull();
    expect(detectAddress("ảnh có cần chụp lại không", lex)).toBeNull();
    expect(detectAddress("mẹ tôi quên mật khẩu", lex)).toBeNull();
  });

  it("speaks to them so, keeping capitals and other words", () => {
    expect(speakTo("Bạn mang thẻ đến Công an, bạn nhé; nhờ bạn bè cũng được.", "bác")).toBe(
      "Bác mang thẻ đến Công an, bác nhé; nhờ bạn bè cũng được.",
    );
    expect(speakTo("Chào bạn!", "cô")).toBe("Chào cô!");
  });
});

describe("follow-ups", () => {
  it("recognises aspects, markers and corrections", () => {
    expect(analyzeFollowUp("phí bao nhiêu?", lex)).toMatchObject({ kind: "aspect", aspect: "fee", aspectOnly: true });
    expect(analyzeFollowUp("làm ở đâu vậy", lex)).toMatchObject({ kind: "aspect", aspect: "place", aspectOnly: true });
    // Connectives and "hết", "theo" carry no topic: the message only says it still fails.
    expect(analyzeFollowUp("tôi làm theo hết rồi nhưng vẫn lỗi", lex)).toMatchObject({ kind: "aspect", aspect: "stuck", aspectOnly: true });
    expect(analyzeFollowUp("còn con tôi 5 tuổi thì sao", lex)).toMatchObject({ kind: "marker", rest: "con toi 5 tuoi", aspect: null });
    expect(analyzeFollowUp("à không, ý tôi là thẻ của mẹ tôi", lex)).toMatchObject({ kind: "correction", rest: "the cua me toi" });
    expect(analyzeFollowUp("đăng ký thường trú cho con mới sinh cần những giấy tờ nào ạ", lex)).toBeNull();
    // Longer, with words of its own: a follow-up only when the matcher does not answer it alone.
    const longer = "vợ sắp cưới quê tỉnh khác thì nộp ở đâu";
    expect(analyzeFollowUp(longer, lex, false)).toMatchObject({ kind: "aspect", aspect: "place", aspectOnly: false });
    expect(analyzeFollowUp(longer, lex, true)).toBeNull();
  });

  it("keeps the topic for half an hour of silence", () => {
    const state = { faq: { intent: "cancuoc_le_phi", at: 0 } };
    expect(readContext(state, 29 * 60_000)?.intent).toBe("cancuoc_le_phi");
    expect(readContext(state, 31 * 60_000)).toBeNull();
  });
});
