import { describe, expect, it } from "vitest";
import { containsPII, maskId, redactPII } from "../../src/privacy/redact.ts";

describe("PII redaction", () => {
  it.each([
    ["số cccd của tôi là 001203004567 nhé", "số cccd của tôi là [số định danh] nhé"],
    ["cccd:001203004567.", "cccd:[số định danh]."],
    ["001 203 004 567", "[số định danh]"],
    ["001.203.004.567", "[số định danh]"],
    ["gọi 0912345678 giúp", "gọi [số điện thoại] giúp"],
    ["sdt 0912 345 678", "sdt [số điện thoại]"],
    ["sdt 0912.345.678", "sdt [số điện thoại]"],
    ["+84 912 345 678", "[số điện thoại]"],
    ["84912345678", "[số điện thoại]"],
    ["cmnd cũ 123456789", "cmnd cũ [số CMND]"],
    ["mail nguyenvana@gmail.com nha", "mail [email] nha"],
    ["máy bàn 02373 123 456", "máy bàn [số điện thoại]"],
  ])("hides %j", (input, expected) => {
    expect(redactPII(input)).toBe(expected);
  });

  it("keeps ordinary numbers, dates and public hotlines", () => {
    for (const text of ["năm 2024", "ngày 20/12/2024", "1900 0368", "tỉ lệ 65,6%", "151.446/230.745", "mức 2"]) {
      expect(redactPII(text)).toBe(text);
    }
  });

  it("finds ID numbers inside longer text and several at once", () => {
    const text = "con tôi cccd 001203004567 còn vợ là 038190001234, sđt 0987654321";
    const out = redactPII(text);
    expect(out).not.toMatch(/\d{9,}/);
    expect(out.match(/\[số định danh\]/g)).toHaveLength(2);
    expect(containsPII(text)).toBe(true);
  });

  it("does not hide digits that are part of a word or a longer code", () => {
    expect(redactPII("mã hồ sơ G22.001203004567X")).toBe("mã hồ sơ G22.001203004567X");
  });

  it("masks ids for logs", () => {
    expect(maskId("123456789")).toBe("…789");
    expect(maskId(12)).toBe("…");
  });
});

describe("PII redaction leaves operational numbers alone", () => {
  it("keeps timestamps and other long codes that are not personal numbers", () => {
    expect(redactPII("applied 20261123082049_init")).toBe("applied 20261123082049_init");
    expect(redactPII("hồ sơ số 000.00.12.H04-240315-0001")).toBe("hồ sơ số 000.00.12.H04-240315-0001");
  });
});
