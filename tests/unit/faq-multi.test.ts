import { describe, expect, it } from "vitest";
import { loadConversationLexicon } from "../../src/core/conversation.ts";
import { loadKnowledgeBase } from "../../src/features/faq/knowledge.ts";
import { FaqMatcher } from "../../src/features/faq/matcher.ts";
import { answeredParts, ordinalReference, questionParts } from "../../src/features/faq/multi.ts";

const lex = loadConversationLexicon();

describe("several questions in one message", () => {
  it("splits after an announcement, at «và», «; », «?» and «, còn», keeping parts of three words or more", () => {
    expect(questionParts("cho hỏi 2 việc: cách lấy lại mật khẩu VNeID và thủ tục đăng ký tạm trú")).toEqual([
      "cách lấy lại mật khẩu VNeID",
      "thủ tục đăng ký tạm trú",
    ]);
    expect(questionParts("đổi căn cước ở đâu? phí làm hộ chiếu bao nhiêu")).toHaveLength(2);
    expect(questionParts("làm tạm trú cho vợ và con")).toEqual([]); // "con" alone is no question
    // ", con tôi…" (no accent) is a child, not "còn".
    expect(questionParts("làm căn cước cho tôi, con tôi 10 tuổi làm được không")).toEqual([]);
  });

  const kb = loadKnowledgeBase();
  const matcher = new FaqMatcher(kb);
  const answered = (q: string) => answeredParts(q, matcher.match(q), matcher)?.map((r) => r.best!.intentId) ?? null;

  it("answers each part that is a question of its own, in order", () => {
    expect(answered("cho hỏi 2 việc: cách lấy lại mật khẩu VNeID và thủ tục đăng ký tạm trú cho người thuê trọ")).toEqual([
      "vneid_quen_mat_khau",
      "cutru_tam_tru",
    ]);
  });

  it("keeps one question with a «và» whole: related intents, or one part that is no question", () => {
    expect(answered("định danh mức 1 và mức 2 khác nhau chỗ nào")).toBeNull();
    expect(answered("quên mật khẩu vneid và")).toBeNull();
  });

  it("reads «cái thứ 2 phí bao nhiêu» as the second one and the rest; a bare «cái thứ 2» is a typed choice", () => {
    expect(ordinalReference("cái thứ 2 phí bao nhiêu", lex)).toEqual({ position: 2, rest: "phi bao nhieu" });
    expect(ordinalReference("việc đầu tiên làm ở đâu", lex)).toEqual({ position: 1, rest: "lam o dau" });
    expect(ordinalReference("cái thứ 2", lex)).toBeNull();
    expect(ordinalReference("cách kích hoạt vneid", lex)).toBeNull();
  });
});
