// Content review (features/faq/review.ts): how stored unanswered questions are grouped, which intent a
// group is given, and the YAML lines shown for it. The questions here are written for this test.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { loadKnowledgeBase, repoRoot, type KnowledgeBase } from "../../src/features/faq/knowledge.ts";
import { FaqMatcher } from "../../src/features/faq/matcher.ts";
import { groupQuestions, reviewQuestions, similarity, WEAK_GUESS, WordWeights, yamlExampleLines, type AskedQuestion } from "../../src/features/faq/review.ts";

const at = new Date("2026-11-20T03:00:00Z");
const asked = (text: string, count = 1, fallbacks = count): AskedQuestion => ({ text, count, lastAsked: at, fallbacks });

describe("similarity and grouping", () => {
  const one = () => 1;

  it("weighted Dice: twice the shared weight over the weight of both", () => {
    expect(similarity(["a", "b"], ["a", "b"], one)).toBe(1);
    expect(similarity(["a", "b"], ["c"], one)).toBe(0);
    expect(similarity(["a", "b", "c"], ["a", "b", "d"], one)).toBeCloseTo(4 / 6);
    expect(similarity(["a", "b", "c", "d"], ["a"], one)).toBeCloseTo(2 / 5);
    expect(similarity([], ["a"], one)).toBe(0);
    // A heavy shared word outweighs light different ones.
    const w = (x: string) => (x === "chip" ? 5 : 1);
    expect(similarity(["chip", "x"], ["chip", "y"], w)).toBeCloseTo(10 / 12);
  });

  it("a question joins the group of the question most like it, most asked first; else it starts one", () => {
    const q = (text: string, count: number) => ({ text, count, lastAsked: at, words: text.split(" ") });
    const groups = groupQuestions([q("c d", 1), q("a b c", 5), q("a b", 3), q("x y", 2), q("a b d", 1)], one);
    expect(groups.map((g) => g.map((m) => m.text))).toEqual([["a b c", "a b", "a b d"], ["x y"], ["c d"]]);
    // The same input in another order gives the same groups.
    const again = groupQuestions([q("a b d", 1), q("x y", 2), q("c d", 1), q("a b", 3), q("a b c", 5)], one);
    expect(again.map((g) => g.map((m) => m.text))).toEqual(groups.map((g) => g.map((m) => m.text)));
  });

  it("the word index finds the same groups as comparing each question with every placed one", () => {
    // A small deterministic pseudo-random source (no Math.random: a failure must be reproducible).
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const vocabulary = Array.from({ length: 30 }, (_, i) => `w${i}`);
    const weight = (w: string) => 1 + (Number(w.slice(1)) % 7);
    for (let round = 0; round < 20; round++) {
      const questions = Array.from({ length: 60 }, (_, i) => {
        const words = [...new Set(Array.from({ length: 2 + Math.floor(next() * 5) }, () => vocabulary[Math.floor(next() * 12 + (i % 3) * 9)]!))];
        return { text: `q${round}-${i}`, count: 1 + Math.floor(next() * 4), lastAsked: at, words };
      });
      // Brute force: each question against every question already placed, best score wins, first on ties.
      const ordered = [...questions].sort((a, b) => b.count - a.count || a.text.localeCompare(b.text));
      const groups: string[][] = [];
      const placed: Array<{ words: string[]; group: number }> = [];
      for (const q of ordered) {
        let best = -1;
        let bestScore = 0.45;
        placed.forEach((p, j) => {
          const score = similarity(q.words, p.words, weight);
          if (score > bestScore || (score === bestScore && best === -1)) {
            bestScore = score;
            best = j;
          }
        });
        const group = best >= 0 ? placed[best]!.group : groups.push([]) - 1;
        groups[group]!.push(q.text);
        placed.push({ words: q.words, group });
      }
      expect(groups.length).toBeGreaterThan(3); // neither one group nor only single questions
      expect(groups.some((g) => g.length > 2)).toBe(true);
      expect(groupQuestions(questions, weight).map((g) => g.map((q) => q.text))).toEqual(groups);
    }
  });
});

describe("review of stored questions with the real content", () => {
  let kb: KnowledgeBase;
  let matcher: FaqMatcher;
  let weights: WordWeights;
  beforeAll(() => {
    kb = loadKnowledgeBase();
    matcher = new FaqMatcher(kb);
    weights = new WordWeights(kb);
  });

  it("words many examples use weigh less than rare ones, and fillers are not compared", () => {
    expect(weights.weight("toi")).toBeLessThan(weights.weight("chip"));
    expect(weights.words("dạ cho em hỏi thẻ bị gãy chip ạ")).not.toContain("a");
  });

  it("groups spellings with and without diacritics together and keeps unrelated questions apart", () => {
    const groups = reviewQuestions(
      [
        asked("thẻ căn cước bị gãy đôi chip còn dùng được không", 4),
        asked("the can cuoc gay doi chip con dung duoc ko", 2),
        asked("cho tôi hỏi thẻ gãy chip thì sao", 1),
        asked("cho tôi hỏi giờ mở cửa bưu điện", 3),
        asked("tối nay đội tuyển đá mấy giờ", 2),
      ],
      kb,
      matcher,
      weights,
    );
    const texts = groups.map((g) => g.questions.map((q) => q.text));
    expect(texts[0]).toEqual(["thẻ căn cước bị gãy đôi chip còn dùng được không", "the can cuoc gay doi chip con dung duoc ko", "cho tôi hỏi thẻ gãy chip thì sao"]);
    expect(groups[0]!.asked).toBe(7);
    expect(groups[0]!.sharedWords).toContain("chip");
    // «cho tôi hỏi» alone does not put the post office with the chip.
    expect(texts.find((t) => t.includes("cho tôi hỏi giờ mở cửa bưu điện"))).toEqual(["cho tôi hỏi giờ mở cửa bưu điện"]);
    expect(groups).toHaveLength(3);
  });

  it("a group's intent is the matcher's guess weighted by times asked and confidence; its YAML lines parse back to the questions", () => {
    const questions = [asked("man hinh quet mat vneid cu xoay hoai", 3), asked("vneid cứ xoay hoài ở màn hình quét mặt", 2, 0)];
    const [group] = reviewQuestions(questions, kb, matcher, weights);
    const guesses = questions.map((q) => matcher.match(q.text).best!);
    expect(group!.intent?.id).toBe(guesses[0]!.intentId);
    const agreeing = guesses.map((g, i) => ({ g, n: questions[i]!.count })).filter((x) => x.g.intentId === group!.intent!.id);
    const mean = agreeing.reduce((s, x) => s + x.n * x.g.confidence, 0) / agreeing.reduce((s, x) => s + x.n, 0);
    expect(group!.intent!.confidence).toBeCloseTo(mean, 6);
    const intent = kb.byId.get(group!.intent!.id)!;
    expect(group!.intent!.file).toBe(`intents/${intent.topic}.yaml`);
    expect(group!.yaml.split("\n")[0]).toMatch(new RegExp(`^# intents/${intent.topic}\\.yaml, «- id: ${intent.id}»`));
    const kept = group!.questions.filter((q) => !(q.answeredNow && q.guess?.intentId === intent.id)).map((q) => q.text);
    expect(kept.length).toBeGreaterThan(0);
    expect(parse(group!.yaml)).toEqual(kept);
  });

  it("leaves out questions already among the examples, answered now, or holding a redaction label", () => {
    const known = kb.intents.find((i) => i.id === "cancuoc_mat_cap_lai")!.examples[0]!;
    const groups = reviewQuestions([asked(known, 2), asked("gọi [số điện thoại] hỏi về thẻ căn cước mất", 1)], kb, matcher, weights);
    const skipped = groups.flatMap((g) => g.skipped);
    expect(skipped).toContainEqual({ text: "gọi [số điện thoại] hỏi về thẻ căn cước mất", reason: "redacted" });
    expect(skipped.find((s) => s.text === known)?.reason).toBe("known");
    expect(groups.every((g) => !g.yaml.includes("[số điện thoại]"))).toBe(true);
  });

  it("a weak guess (an out-of-scope question) names no intent to paste into", () => {
    const [group] = reviewQuestions([asked("tối nay đội tuyển đá mấy giờ", 3)], kb, matcher, weights);
    expect(group!.intent === null || group!.intent.confidence < WEAK_GUESS).toBe(true);
    expect(group!.yaml.split("\n")[0]).toMatch(/^# Chưa rõ thuộc mục nào\..*Ngoài phạm vi: không thêm\.$/);
    expect(group!.yaml).not.toMatch(/intents\//);
  });

  it("an answered-now question with the group's intent gets no YAML line", () => {
    // Written to be answered by the SIM/phone intent outright (the matcher decides; checked first).
    const text = "đổi số điện thoại trên vneid khi sim cũ bị mất";
    const result = matcher.match(text);
    expect(result.decision).toBe("answer");
    const [group] = reviewQuestions([asked(text, 2)], kb, matcher, weights);
    expect(group!.skipped).toEqual([{ text, reason: "answered" }]);
    expect(group!.yaml).toBe("");
  });

  it("YAML lines are double-quoted and escaped, and pasted under an intent's examples they become its examples", () => {
    const tricky = ['hỏi: "thẻ" gãy # chip', "đường dẫn C:\\vneid", "- bắt đầu bằng gạch", "xuống\ndòng"];
    const lines = yamlExampleLines(tricky);
    expect(lines.split("\n")).toHaveLength(tricky.length);
    expect(lines.split("\n").every((l) => /^ {4}- ".*"$/.test(l))).toBe(true);
    // Paste them right under «examples:» of one intent in a copy of its file.
    const file = path.join(repoRoot, "intents/cancuoc.yaml");
    const source = readFileSync(file, "utf8").split("\n");
    const idLine = source.findIndex((l) => l === "- id: cancuoc_mat_cap_lai");
    const examplesLine = source.findIndex((l, i) => i > idLine && l.trim() === "examples:");
    const pasted = [...source.slice(0, examplesLine + 1), `# pasted by the test`, lines, ...source.slice(examplesLine + 1)].join("\n");
    const intents = parse(pasted) as Array<{ id: string; examples: string[] }>;
    const before = (parse(source.join("\n")) as Array<{ id: string; examples: string[] }>).find((i) => i.id === "cancuoc_mat_cap_lai")!;
    expect(intents.find((i) => i.id === "cancuoc_mat_cap_lai")!.examples).toEqual([...tricky, ...before.examples]);
  });
});
