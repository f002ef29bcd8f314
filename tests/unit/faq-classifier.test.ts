import { describe, expect, it } from "vitest";
import { NgramClassifier, textFeatures } from "../../src/features/faq/classifier.ts";
import { buildKnowledgeBase, type Intent, loadKnowledgeBase } from "../../src/features/faq/knowledge.ts";
import { FaqMatcher, FEATURE_NAMES, featureVector } from "../../src/features/faq/matcher.ts";
import { CALIBRATION } from "../../src/features/faq/calibration.ts";
import { normalize } from "../../src/features/faq/normalize.ts";

const tokens = (text: string) => normalize(text).tokens;

describe("NgramClassifier (the learned signal)", () => {
  const texts = [
    { intent: 0, tokens: tokens("kích hoạt tài khoản định danh"), weight: 1 },
    { intent: 0, tokens: tokens("không kích hoạt được vneid"), weight: 1 },
    { intent: 1, tokens: tokens("quên mật khẩu đăng nhập"), weight: 1 },
    { intent: 1, tokens: tokens("lấy lại mật khẩu vneid"), weight: 1 },
    { intent: 2, tokens: tokens("đăng ký tạm trú cho người thuê trọ"), weight: 1 },
  ];
  const model = new NgramClassifier(texts, 3);
  const best = (text: string) => {
    const p = model.posterior(tokens(text));
    return p.indexOf(Math.max(...p));
  };

  it("reads words typed joined up or misspelled through their letters", () => {
    // Neither "kichhoat" nor "matkhau" is a word of the training texts; their letter sequences are.
    // " kichhoat ": one word, and 7 + 6 + 5 n-grams of 3, 4 and 5 letters.
    expect(textFeatures(tokens("kichhoat")).size).toBe(1 + 8 + 7 + 6);
    expect(best("kichhoat tai khoan")).toBe(0);
    expect(best("quen matkhau roi")).toBe(1);
    expect(best("tam tru nha tro")).toBe(2);
  });

  it("gives a probability distribution, uniform when nothing is known", () => {
    const p = model.posterior(tokens("kích hoạt"));
    expect([...p].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(p[0]).toBeGreaterThan(p[1]!);
    const none = model.posterior(tokens("xyz"));
    expect([...none].every((x) => Math.abs(x - 1 / 3) < 1e-9)).toBe(true);
  });
});

describe("the matcher with the learned signal", () => {
  const kb = loadKnowledgeBase();
  const matcher = new FaqMatcher(kb);

  it("gives every candidate the model's posterior, and the calibration one weight per input", () => {
    const analysis = matcher.analyze("ko nhan dc ma otp vneid");
    expect(analysis.candidates.length).toBeGreaterThan(1);
    for (const c of analysis.candidates) expect(c.learned).toBeGreaterThanOrEqual(0);
    expect(analysis.candidates[0]!.learned).toBeGreaterThan(analysis.candidates[1]!.learned);
    // A feature added without re-running `npm run faq -- calibrate --write` would get no weight.
    expect(featureVector(analysis, 0)).toHaveLength(FEATURE_NAMES.length);
    expect(CALIBRATION.answer.weights).toHaveLength(FEATURE_NAMES.length);
    expect(CALIBRATION.scope.weights).toHaveLength(FEATURE_NAMES.length);
  });

  it("is trained with the matcher, on the intents' own texts", () => {
    const intent = (id: string, examples: string[]): Intent => ({
      id, title: examples[0]!, topic: "t", examples, keywords: [], related: [], basis: ["x"], reviewed: "2026-01-01", answer: "a", steps: [],
    });
    const small = buildKnowledgeBase([
      intent("nfc", ["quét chip căn cước bằng nfc không được", "điện thoại không đọc được chip"]),
      intent("otp", ["không nhận được mã otp", "mã xác thực không gửi về điện thoại"]),
    ]);
    const posterior = (q: string) =>
      Object.fromEntries(new FaqMatcher(small).analyze(q).candidates.map((c) => [small.intents[c.intent]!.id, c.learned]));
    // "dien thoai" is in both intents; the letters of "quetchip" and "maotp" are in one each.
    expect(posterior("dien thoai quetchip ko dc").nfc).toBeGreaterThan(posterior("dien thoai quetchip ko dc").otp ?? 0);
    expect(posterior("dien thoai ko nhan maotp").otp).toBeGreaterThan(posterior("dien thoai ko nhan maotp").nfc ?? 0);
  });
});
