import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildKnowledgeBase,
  type Intent,
  KnowledgeBaseError,
  loadKnowledgeBase,
  parseContent,
  validateKnowledgeBase,
  answerHasAction,
  type AnswerRules,
} from "../../src/features/faq/knowledge.ts";
import { compileLexicon } from "../../src/features/faq/normalize.ts";
import { exportFaq } from "../../src/features/faq/export.ts";

const examples = (stem: string) => Array.from({ length: 10 }, (_, k) => `${stem} câu hỏi số ${k + 1}`);

function intent(id: string, overrides: Partial<Intent> = {}): Intent {
  return {
    id,
    title: `Tiêu đề ${id}`,
    topic: "vneid",
    examples: examples(id),
    keywords: [id],
    related: [],
    basis: ["Nghị định 69/2024/NĐ-CP"],
    reviewed: "2026-11-23",
    answer: "Câu trả lời ngắn.",
    steps: [{ title: "Bước 1: Làm gì", text: "Làm như sau." }],
    ...overrides,
  };
}

const problemsOf = (...intents: Intent[]) => validateKnowledgeBase(buildKnowledgeBase(intents, compileLexicon({ abbreviations: { ko: "không", dc: "được" } })));

describe("the real knowledge base", () => {
  it("loads and validates with no problems", () => {
    const kb = loadKnowledgeBase();
    expect(validateKnowledgeBase(kb)).toEqual([]);
    expect(kb.intents.length).toBeGreaterThanOrEqual(45);
    expect(kb.topics).toEqual(["vneid", "vneid_loi", "cancuoc", "cancuoc_doi", "cutru", "dichvucong", "giayto", "khac"]);
    // The real content carries its action rules, so the check above included them.
    expect(kb.answerRules?.actions.length).toBeGreaterThan(5);
    for (const i of kb.intents) {
      expect(i.answer.length, i.id).toBeGreaterThan(0);
      expect(kb.byId.get(i.id)).toBe(i);
    }
  });

  it("exports id, title, questions and answer for every intent", () => {
    const kb = loadKnowledgeBase();
    const exported = exportFaq(kb);
    expect(exported).toHaveLength(kb.intents.length);
    const otp = exported.find((e) => e.id === "vneid_khong_nhan_otp")!;
    expect(Object.keys(otp)).toEqual(["id", "title", "questions", "answer"]);
    expect(otp.questions).toEqual(kb.byId.get("vneid_khong_nhan_otp")!.examples);
    expect(otp.answer).not.toContain("## ");
  });
});

describe("validateKnowledgeBase", () => {
  it("accepts a clean synthetic knowledge base", () => {
    expect(problemsOf(intent("a_mot", { related: ["b_hai"] }), intent("b_hai"))).toEqual([]);
  });

  it("catches a duplicate id", () => {
    expect(problemsOf(intent("a_mot"), intent("a_mot", { examples: examples("khác") }))).toEqual([
      expect.stringMatching(/a_mot: duplicate id/),
    ]);
  });

  it("catches a dangling related id, and an intent related to itself", () => {
    const problems = problemsOf(intent("a_mot", { related: ["khong_co"] }), intent("b_hai", { related: ["b_hai"] }));
    expect(problems).toEqual([
      expect.stringMatching(/a_mot: related id "khong_co" does not exist/),
      expect.stringMatching(/b_hai: related lists the intent itself/),
    ]);
  });

  it("catches an empty example and too few examples", () => {
    const problems = problemsOf(intent("a_mot", { examples: [...examples("a").slice(0, 9), "   "] }));
    expect(problems).toContain("vneid: a_mot: 1 empty example(s)");
    expect(problems).toContain("vneid: a_mot: 9 example(s), at least 10 needed");
  });

  it("catches an answer, a step or a title too long for a channel", () => {
    const problems = problemsOf(
      intent("a_mot", {
        answer: "x".repeat(701),
        steps: [{ title: "Bước 1", text: "y".repeat(700) }],
        title: "Một tiêu đề rất dài không vừa với một cái nút bấm",
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/a_mot: title is 49 characters, at most 40/),
      expect.stringMatching(/content\/a_mot\.md: answer is 701 characters, at most 700/),
      expect.stringMatching(/content\/a_mot\.md: step 1 \("Bước 1"\) is 707 characters, at most 700/),
    ]);
  });

  it("catches an example that appears in two intents, after normalisation", () => {
    const problems = problemsOf(
      intent("a_mot", { examples: [...examples("a").slice(0, 9), "Không nhận được mã OTP!!"] }),
      intent("b_hai", { examples: [...examples("b").slice(0, 9), "ko nhan dc ma otp"] }),
    );
    expect(problems).toEqual([expect.stringMatching(/b_hai: example "ko nhan dc ma otp" is also an example of a_mot/)]);
  });

  it("catches a reviewed value that is not a date, an empty answer, a missing basis", () => {
    const problems = problemsOf(intent("a_mot", { reviewed: "2026-02-30", answer: "", basis: [] }));
    expect(problems).toEqual([
      expect.stringMatching(/a_mot: basis is empty/),
      expect.stringMatching(/a_mot: reviewed "2026-02-30" is not a date/),
      expect.stringMatching(/content\/a_mot\.md: the answer .* is empty/),
    ]);
  });
});

describe("menus fit a phone", () => {
  it("catches a topic with more than 8 intents and more than 8 topics", () => {
    const nine = Array.from({ length: 9 }, (_, k) => intent(`a_${k}`, { examples: examples(`a${k}`) }));
    expect(problemsOf(...nine)).toEqual(["intents/vneid.yaml: 9 intents, at most 8 fit one topic menu (move some to another topic)"]);
    const spread = Array.from({ length: 9 }, (_, k) => intent(`b_${k}`, { topic: `t${k}`, examples: examples(`b${k}`) }));
    expect(problemsOf(...spread)).toEqual([expect.stringMatching(/^intents\/: 9 topics, at most 8/)]);
  });
});

describe("every short answer says what to do and where", () => {
  const rules: AnswerRules = {
    actions: ["đến", "gọi", "gửi", "bấm", "đăng ký"],
    places: ["công an cấp xã", "vneid", "1900 0368"],
    leadIns: ["bạn", "hãy", "có thể"],
    clauseStarts: ["thì", "hoặc"],
  };

  it("accepts an instruction with a place in one sentence", () => {
    expect(answerHasAction("Bạn đến Công an cấp xã, mang thẻ căn cước.", rules)).toBe(true);
    expect(answerHasAction("Gọi 1900 0368.", rules)).toBe(true);
    expect(answerHasAction("Số đã đổi thì đến Công an cấp xã.", rules)).toBe(true);
    expect(answerHasAction("Nếu không nhận được mã, Bạn hãy gọi tổng đài 1900 0368.", rules)).toBe(true);
    expect(answerHasAction("Có 2 cách:\n- Gửi phản ánh trên VNeID.", rules)).toBe(true);
  });

  it("rejects causes only, and a verb that is not an instruction", () => {
    // "gửi", "đến" and "đăng ký" are there, but none opens a clause: nothing to do.
    expect(answerHasAction("Mã OTP được gửi bằng tin nhắn đến số điện thoại đã đăng ký với VNeID.", rules)).toBe(false);
    expect(answerHasAction("Không nhận được mã thường do sóng yếu hoặc hộp tin nhắn đầy.", rules)).toBe(false);
  });

  it("rejects a verb and a place that sit in different sentences, and words inside other words", () => {
    expect(answerHasAction("Bạn đến sớm. Công an cấp xã làm việc giờ hành chính.", rules)).toBe(false);
    // "gọi" inside "gọitên" is no word of its own; a dot inside an address does not end a sentence.
    expect(answerHasAction("gọitên 1900 0368", rules)).toBe(false);
    expect(answerHasAction("Bấm vào vneid.gov.vn rồi chọn", { ...rules, places: ["vneid.gov.vn"] })).toBe(true);
  });

  it("fails validation of a knowledge base whose rules the answer breaks, naming the file", () => {
    const kb = buildKnowledgeBase([intent("a_mot", { answer: "Mã được gửi đến số điện thoại của Bạn." })]);
    expect(validateKnowledgeBase(kb)).toEqual([]);
    kb.answerRules = rules;
    expect(validateKnowledgeBase(kb)).toEqual([expect.stringMatching(/^content\/a_mot\.md: the answer gives no action/)]);
    kb.byId.get("a_mot")!.answer = "Bạn đến Công an cấp xã.";
    expect(validateKnowledgeBase(kb)).toEqual([]);
  });
});

describe("loadKnowledgeBase on a directory", () => {
  let root = "";
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function write(files: Record<string, string>): string {
    root = mkdtempSync(path.join(tmpdir(), "faq-kb-"));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), text);
    }
    return root;
  }

  const yamlIntent = (id: string, extra = "") =>
    `- id: ${id}\n  title: Tiêu đề\n  examples: [${examples(id)
      .map((e) => `"${e}"`)
      .join(", ")}]\n  keywords: [a]\n  related: []\n  basis: [Luật Căn cước 2023]\n  reviewed: 2026-11-23\n${extra}`;

  it("reads intents, content (answer and steps) and the lexicon", () => {
    write({
      "intents/vneid.yaml": yamlIntent("a_mot"),
      "intents/lexicon.yaml": "abbreviations:\n  ko: không\nphrases:\n  \"vn eid\": vneid\nfillers: [ạ]\n",
      "content/a_mot.md": "Trả lời.\nDòng hai.\n\n## Bước 1: Mở ứng dụng\nBấm vào biểu tượng.\n\n## Bước 2: Đăng nhập\nNhập số.\n",
    });
    const kb = loadKnowledgeBase(root);
    const a = kb.byId.get("a_mot")!;
    expect(a.topic).toBe("vneid");
    expect(a.answer).toBe("Trả lời.\nDòng hai.");
    expect(a.steps).toEqual([
      { title: "Bước 1: Mở ứng dụng", text: "Bấm vào biểu tượng." },
      { title: "Bước 2: Đăng nhập", text: "Nhập số." },
    ]);
    expect(kb.lexicon.abbreviations.get("ko")).toBe("không");
  });

  it("names the file and the field of a malformed intent", () => {
    write({ "intents/vneid.yaml": yamlIntent("a_mot").replace("  examples:", "  examplez:") });
    expect(() => loadKnowledgeBase(root)).toThrow(/intents\/vneid\.yaml: intent #1 \(a_mot\), field examples: /);
  });

  it("explains a basis line that YAML read as a key/value pair", () => {
    write({ "intents/vneid.yaml": yamlIntent("a_mot").replace("basis: [Luật Căn cước 2023]", "basis:\n    - Luật Hộ tịch (Điều 32: thời hạn)") });
    expect(() => loadKnowledgeBase(root)).toThrow(/field basis\.0: .*double quotes/);
  });

  it("reads content/answer-rules.yaml and reports an answer without an action", () => {
    write({
      "intents/vneid.yaml": yamlIntent("a_mot"),
      "content/a_mot.md": "Thường do sóng yếu.\n",
      "content/answer-rules.yaml": "actions: [đến]\nplaces: [công an cấp xã]\n",
    });
    expect(() => loadKnowledgeBase(root)).toThrow(/content\/a_mot\.md: the answer gives no action/);
    writeFileSync(path.join(root, "content/a_mot.md"), "Thường do sóng yếu. Đến Công an cấp xã, mang thẻ.\n");
    expect(loadKnowledgeBase(root).answerRules?.places).toEqual(["công an cấp xã"]);
  });

  it("lists a missing content file among the problems", () => {
    write({ "intents/vneid.yaml": yamlIntent("a_mot"), "content/b_hai.md": "Trả lời." });
    try {
      loadKnowledgeBase(root);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KnowledgeBaseError);
      expect((error as KnowledgeBaseError).problems).toEqual([
        "intents/vneid.yaml: a_mot: content file content/a_mot.md is missing",
        "content/b_hai.md: no intent has the id b_hai",
      ]);
    }
  });
});

describe("parseContent", () => {
  it("keeps everything as the answer when there is no step", () => {
    expect(parseContent("Chỉ một đoạn.\r\n")).toEqual({ answer: "Chỉ một đoạn.", steps: [] });
  });
});
