import { describe, expect, it } from "vitest";
import { askedDetails } from "../../src/features/faq/details.ts";
import type { Intent } from "../../src/features/faq/knowledge.ts";
import { loadConversationLexicon } from "../../src/core/conversation.ts";
import { compileLexicon } from "../../src/features/faq/normalize.ts";

const intent: Intent = {
  id: "lam_the",
  title: "Làm thẻ lần đầu",
  topic: "t",
  examples: [],
  keywords: [],
  related: [],
  basis: ["x"],
  reviewed: "2026-01-01",
  answer: "Bạn đến Công an cấp xã để làm thẻ. Mang theo giấy khai sinh.\nBấm «Bước tiếp» để xem hướng dẫn từng bước.",
  steps: [
    { title: "Bước 1: Chụp ảnh", text: "Cán bộ chụp ảnh khuôn mặt, lấy vân tay và mống mắt." },
    { title: "Bước 2: Nhận thẻ", text: "Thẻ có trong 7 ngày làm việc. Cấp lần đầu không mất lệ phí." },
  ],
};
const context = {
  lexicon: compileLexicon(),
  conversation: loadConversationLexicon(),
  // Words few intents use weigh a lot; "lay" and "the" are everywhere.
  wordWeight: (t: string) => ({ mong: 2.5, mat: 1.2, van: 1.5, tay: 1.5, lay: 0.3, the: 0.2 })[t] ?? 0,
};

describe("askedDetails: the guide's lines on what the question asked beyond the short answer", () => {
  it("adds the sentence of the guide that holds the rare words of the question", () => {
    expect(askedDetails(intent, "làm thẻ có lấy mống mắt không", context)).toEqual([
      "Cán bộ chụp ảnh khuôn mặt, lấy vân tay và mống mắt.",
    ]);
    expect(askedDetails(intent, "lam the co lay mong mat ko", context)).toHaveLength(1);
  });

  it("adds nothing when the short answer already says it, or only common words are shared", () => {
    expect(askedDetails(intent, "làm thẻ ở đâu, cần mang giấy gì", context)).toEqual([]);
    expect(askedDetails(intent, "lấy thẻ thế nào", context)).toEqual([]);
  });

  it("answers an aspect the short answer is silent on (the fee) from the guide", () => {
    expect(askedDetails(intent, "làm thẻ có mất tiền không", context)).toEqual(["Cấp lần đầu không mất lệ phí."]);
  });
});
