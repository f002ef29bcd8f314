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

  it("hides a 12-digit number even inside a longer code, but keeps codes that hold none", () => {
    // Privacy first: an ID number glued into a code is still an ID number.
    expect(redactPII("mã hồ sơ G22.001203004567X")).toBe("mã hồ sơ G22.[số định danh]X");
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

// How citizens really type their numbers: each spelling must come out without the full number.
const FW = (digits: string) => digits.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
const ID = "[số định danh]";
const PHONE = "[số điện thoại]";
const CMND = "[số CMND]";

describe("PII redaction, real-world spellings", () => {
  it.each([
    // 12-digit ID numbers (CCCD / số định danh)
    ["cccd001203004567", `cccd${ID}`],
    ["CCCD:001203004567", `CCCD:${ID}`],
    ["so cccd la 001203004567 a", `so cccd la ${ID} a`],
    ["số định danh001203004567nhé", `số định danh${ID}nhé`],
    ["001 203 004 567", ID],
    ["0012 0300 4567", ID],
    ["001-203-004-567", ID],
    ["001.203.004.567", ID],
    ["052301009876 2 bản", `${ID} 2 bản`],
    ["cccd 052301009876,cmnd 123456789", `cccd ${ID},cmnd ${CMND}`],
    [`cccd ${FW("001203004567")}`, `cccd ${ID}`],
    [`${FW("0012")} ${FW("0300")} ${FW("4567")}`, ID],
    ["cccd 001203004567.", `cccd ${ID}.`],
    ["(001203004567)", `(${ID})`],
    ["001203004567/2024", `${ID}/2024`],
    // 9-digit old ID cards (CMND)
    ["cmnd123456789", `cmnd${CMND}`],
    ["cmnd 123 456 789", `cmnd ${CMND}`],
    ["cmnd: 123.456.789", `cmnd: ${CMND}`],
    ["CMND 123-456-789 cấp 2010", `CMND ${CMND} cấp 2010`],
    // mobile phones
    ["0912345678và", `${PHONE}và`],
    ["sdt0912345678", `sdt${PHONE}`],
    ["SĐT:0912345678", `SĐT:${PHONE}`],
    ["0912 345 678", PHONE],
    ["091.234.5678", PHONE],
    ["0912.34.56.78", PHONE],
    ["0912-345-678", PHONE],
    ["0912 - 345 - 678", PHONE],
    ["09 12 34 56 78", PHONE],
    ["+84912345678", PHONE],
    ["+84 912 345 678", PHONE],
    ["84912345678", PHONE],
    ["(+84) 912 345 678", PHONE],
    ["(84)912345678", PHONE],
    [`${FW("0912345678")}`, PHONE],
    [`\uFF0B${FW("84912345678")}`, PHONE],
    ["goi e 0987654321 nha", `goi e ${PHONE} nha`],
    ["0912345678/0987654321", `${PHONE}/${PHONE}`],
    ["0912\u00a0345\u00a0678", PHONE],
    ["0912\u200b345678", PHONE],
    ["0912345678 2 lần", `${PHONE} 2 lần`],
    ["zalo0356789012ạ", `zalo${PHONE}ạ`],
    // landlines
    ["02373 123 456", PHONE],
    ["máy bàn 024.3825.1234", `máy bàn ${PHONE}`],
    // e-mail
    ["email:nguyen.van.a@gmail.com.", "email:[email]."],
  ])("hides %j", (input, expected) => {
    const out = redactPII(input);
    expect(out).toBe(expected);
    expect(foldDigits(out)).not.toMatch(/\d{9}/);
  });

  it.each([
    "ngày 20/12/2024",
    "ngày 20.12.2024",
    "hẹn 08:30 ngày 15-01-2025",
    "lệ phí 70.000 đồng",
    "phí 70.000đ",
    "phạt 120.000.000 đồng",
    "tổng 1.500.000 VND",
    "gọi 1900 0368",
    "tổng đài 1800 1096",
    "hotline 19000368",
    "xã 19123",
    "mã xã 19123, 19126 và 09877",
    "các xã 09877 09878",
    "năm 2024 có 3.321 xã",
    "applied 20261123082049_init",
    "hồ sơ số 000.00.12.H04-240315-0001",
    "mức 2, bước 3",
    "tầng 12 phòng 305",
  ])("keeps %j", (text) => {
    expect(redactPII(text)).toBe(text);
  });
});

function foldDigits(text: string): string {
  return text.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 0x30)).replace(/[^\d]/g, "");
}
