// Zalo rendering: splitting long Vietnamese answers, numbered options, choice parsing.
import { describe, expect, it } from "vitest";
import { parseChoice, renderReplies, splitText } from "../../src/channels/zalo/render.ts";

const sentences = [
  "Để kích hoạt tài khoản định danh điện tử mức 2, công dân mang thẻ căn cước đến Công an cấp xã nơi cư trú.",
  "Cán bộ sẽ chụp ảnh chân dung, thu vân tay và nhập số điện thoại chính chủ của bạn.",
  "Sau khi hồ sơ được duyệt, hệ thống gửi mã kích hoạt qua tin nhắn SMS tới số điện thoại đã đăng ký!",
  "Bạn mở ứng dụng VNeID, chọn “Kích hoạt tài khoản” và nhập mã trong thời hạn 7 ngày.",
  "Nếu không nhận được mã, hãy kiểm tra lại số điện thoại hoặc liên hệ cán bộ một cửa?",
];

function longAnswer(count: number): string {
  return Array.from({ length: count }, (_, i) => sentences[i % sentences.length]).join(" ");
}

describe("splitText", () => {
  it("leaves a short answer whole", () => {
    expect(splitText("Xin chào bạn.")).toEqual(["Xin chào bạn."]);
    expect(splitText("  \n ")).toEqual([]);
  });

  it("splits a long Vietnamese answer at the limit on sentence boundaries", () => {
    const text = longAnswer(60); // ≈ 5,600 characters
    const parts = splitText(text, 2000);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(part).toMatch(/[.!?]$/); // every part ends a sentence
      expect(sentences.some((s) => part.startsWith(s))).toBe(true); // and starts one
    }
    expect(parts.join(" ")).toBe(text); // nothing lost, nothing added
  });

  it("splits one over-long sentence on whitespace, never inside a word", () => {
    const words = Array.from({ length: 1000 }, (_, i) => ["thẻ", "căn", "cước", "công", "dân", `số${i}`][i % 5]!);
    const text = words.join(" "); // one sentence, no punctuation, ≈ 4,000 characters
    const parts = splitText(text, 2000);
    expect(text.length).toBeGreaterThan(4000);
    expect(parts.length).toBe(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(part).toBe(part.trim());
    }
    expect(parts.join(" ")).toBe(text);
    expect(parts.flatMap((p) => p.split(" "))).toEqual(words);
  });

  it("prefers paragraph breaks and keeps numbered list markers with their lines", () => {
    const paragraph = (n: number) => `Đoạn ${n}. ${longAnswer(9)}`; // ≈ 850 characters
    const text = [paragraph(1), paragraph(2), "1. Bước tiếp\n2. Hỏi cán bộ"].join("\n\n");
    const parts = splitText(text, 1200);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(1200);
    expect(parts.map((p) => p.slice(0, 7))).toEqual(["Đoạn 1.", "Đoạn 2."]);
    expect(parts.at(-1)).toMatch(/1\. Bước tiếp\n2\. Hỏi cán bộ$/);
    expect(parts.some((p) => /(^|\n)\d\.$/.test(p))).toBe(false);
  });

  it("cuts a single word longer than the limit without breaking a surrogate pair", () => {
    const parts = splitText("😀".repeat(30), 11);
    expect(parts.join("")).toBe("😀".repeat(30));
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(11);
      expect(Array.from(part).every((ch) => ch === "😀")).toBe(true);
    }
  });
});

describe("renderReplies", () => {
  it("shows buttons as numbered lines, numbered across the turn", () => {
    const rendered = renderReplies([
      { text: "Đã đăng ký nhận tin của xã.", buttons: [[{ label: "Xem tin", payload: "news:1" }]] },
      {
        text: "Chọn chủ đề:",
        buttons: [[{ label: "VNeID", payload: "topic:vneid" }, { label: "Thẻ căn cước", payload: "topic:cccd" }], [{ label: "Hỏi cán bộ", payload: "handoff" }]],
      },
    ]);
    expect(rendered.options).toEqual(["news:1", "topic:vneid", "topic:cccd", "handoff"]);
    expect(rendered.messages).toEqual([
      "Đã đăng ký nhận tin của xã.\n\nGõ số để chọn:\n1. Xem tin",
      "Chọn chủ đề:\n\nGõ số để chọn:\n2. VNeID\n3. Thẻ căn cước\n4. Hỏi cán bộ",
    ]);
  });

  it("sends an image's caption as text", () => {
    const rendered = renderReplies([{ text: "Mã QR của xã:", image: { png: Buffer.from([1]), caption: "Quét để bắt đầu" } }]);
    expect(rendered.messages).toEqual(["Mã QR của xã:", "Quét để bắt đầu"]);
    expect(rendered.options).toEqual([]);
  });
});

describe("parseChoice", () => {
  it("reads a number alone, with spaces, or after 'số'/'chọn'", () => {
    expect(parseChoice("2")).toBe(2);
    expect(parseChoice(" 2 ")).toBe(2);
    expect(parseChoice("số 2")).toBe(2);
    expect(parseChoice("Số 3")).toBe(3);
    expect(parseChoice("so 1")).toBe(1);
    expect(parseChoice("chọn 4")).toBe(4);
    expect(parseChoice("2.")).toBe(2);
    expect(parseChoice("số 2".normalize("NFD"))).toBe(2); // decomposed diacritics
  });

  it("ignores everything else", () => {
    expect(parseChoice("0")).toBeNull();
    expect(parseChoice("2 3")).toBeNull();
    expect(parseChoice("123")).toBeNull();
    expect(parseChoice("số điện thoại 2")).toBeNull();
    expect(parseChoice("0912345678")).toBeNull();
    expect(parseChoice("kich hoat vneid")).toBeNull();
  });
});
