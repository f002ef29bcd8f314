import { describe, expect, it } from "vitest";
import { accentKey, collapseRepeats, compileLexicon, foldDiacritics, normalize } from "../../src/features/faq/normalize.ts";
import { loadKnowledgeBase } from "../../src/features/faq/knowledge.ts";

const lexicon = loadKnowledgeBase().lexicon;
const folded = (text: string) => normalize(text, lexicon).folded;

describe("foldDiacritics", () => {
  it("removes diacritics, folds đ and lower-cases", () => {
    expect(foldDiacritics("Đăng ký Thường trú")).toBe("dang ky thuong tru");
    expect(foldDiacritics("ĐĐ đ")).toBe("dd d");
    expect(foldDiacritics("căn cước công dân")).toBe("can cuoc cong dan");
  });

  it("treats composed and decomposed input alike (NFC)", () => {
    expect(foldDiacritics("ca\u0306n cu\u031bo\u031b\u0301c")).toBe("can cuoc");
    expect(normalize("ca\u0306n cu\u031bo\u031b\u0301c").accented).toBe("căn cước");
  });
});

describe("accentKey", () => {
  it("does not depend on where the tone mark sits", () => {
    expect(accentKey("khoá")).toBe(accentKey("khóa"));
    expect(accentKey("thuỷ")).toBe(accentKey("thủy"));
    expect(accentKey("vàng")).not.toBe(accentKey("vắng"));
  });
});

describe("collapseRepeats", () => {
  it("collapses stretched letters", () => {
    expect(collapseRepeats("đượcccc")).toBe("được");
    expect(collapseRepeats("nhannnn")).toBe("nhan");
    expect(collapseRepeats("đượcc")).toBe("được");
  });

  it("keeps digits, legitimate double letters, and drops one-letter noise", () => {
    expect(collapseRepeats("19000368")).toBe("19000368");
    expect(collapseRepeats("xoong")).toBe("xoong");
    expect(collapseRepeats("app")).toBe("app");
    expect(collapseRepeats("kkkk")).toBe("");
  });
});

describe("normalize", () => {
  it("expands teencode and abbreviations from the lexicon", () => {
    expect(folded("ko nhan dc ma kich hoat vneid")).toBe("khong nhan duoc ma kich hoat vneid");
    expect(folded("k nhận đc mã")).toBe("khong nhan duoc ma");
    expect(folded("hok bit quen mk")).toBe("khong biet quen mat khau");
    expect(folded("đổi sdt")).toBe("doi so dien thoai");
    expect(folded("lam cccd o dvc")).toBe("lam can cuoc cong dan o dich vu cong");
    expect(folded("tra cuu ddcn")).toBe("tra cuu dinh danh ca nhan");
  });

  it("lets a key without diacritics cover the form with them (dt / đt)", () => {
    expect(folded("đt mới")).toBe("dien thoai moi");
    expect(folded("dt moi")).toBe("dien thoai moi");
  });

  it("applies phrases before single words, longest first", () => {
    expect(folded("vn eid bi khoa")).toBe("vneid bi khoa");
    expect(folded("vn e id")).toBe("vneid");
    expect(normalize("thong bao luu tru", lexicon).accented).toBe("thông báo lưu trú");
    expect(normalize("khai bao luu tru", lexicon).accented).toBe("khai báo lưu trú");
    expect(normalize("so dt cua toi", lexicon).accented).toBe("số điện thoại cua toi");
    // a phrase wins over the abbreviation of its first word ("k" alone is "không")
    expect(folded("k dc")).toBe("khong duoc");
  });

  it("collapses repeated letters before looking words up", () => {
    expect(folded("ko nhannnn dcccc otpppp")).toBe("khong nhan duoc otp");
    expect(folded("Đượcccc rồiiii")).toBe("duoc roi");
  });

  it("strips punctuation and emoji, keeps numbers", () => {
    expect(folded("Làm CCCD ở đâu???!!! 😭😭")).toBe("lam can cuoc cong dan o dau");
    expect(folded("gọi 1900.0368, được không?")).toBe("goi 1900 0368 duoc khong");
    expect(folded("đủ 14tuổi")).toBe("du 14 tuoi");
    expect(normalize("😀😀😀", lexicon).tokens).toEqual([]);
    expect(normalize("", lexicon).tokens).toEqual([]);
  });

  it("keeps the diacritics, token for token, for scoring", () => {
    const n = normalize("Tôi KO nhận được mã", lexicon);
    expect(n.tokens).toEqual(["toi", "khong", "nhan", "duoc", "ma"]);
    expect(n.accentedTokens).toEqual(["tôi", "không", "nhận", "được", "mã"]);
    expect(n.accented).toBe("tôi không nhận được mã");
    expect(n.typedDiacritics).toBe(true);
    expect(normalize("ko nhan dc", lexicon).typedDiacritics).toBe(false);
  });

  it("works with a lexicon written with diacritics in its keys, and with none", () => {
    const own = compileLexicon({ abbreviations: { "đc": "được" }, phrases: { "Căn Cước": "căn cước" } });
    expect(normalize("dc can cuoc", own).accented).toBe("được căn cước");
    expect(normalize("dc can cuoc").folded).toBe("dc can cuoc");
  });

  it("reads regional words only when typed with their diacritics, so other words keep their meaning", () => {
    const accented = (text: string) => normalize(text, lexicon).accented;
    expect(accented("làm căn cước ở mô rứa")).toBe("làm căn cước ở đâu thế");
    expect(accented("hắn nói phải đổi thẻ, răng rứa")).toBe("nó nói phải đổi thẻ sao thế");
    expect(accented("bên tê có làm hông")).toBe("bên kia có làm không");
    expect(accented("vô app không được")).toBe("vào ứng dụng không được");
    expect(accented("đổi thẻ mất nhiêu tiền")).toBe("đổi thẻ mất bao nhiêu tiền");
    // The same letters with other marks, or with none, are other words and stay as typed.
    expect(accented("mở ứng dụng")).toBe("mở ứng dụng");
    expect(accented("trạm y tế quét thẻ")).toBe("trạm y tế quét thẻ");
    expect(accented("thẻ hết hạn")).toBe("thẻ hết hạn");
    expect(accented("vợ tôi nhiều tuổi")).toBe("vợ tôi nhiều tuổi");
    expect(accented("thẻ bị hỏng")).toBe("thẻ bị hỏng");
    expect(accented("rõ ràng là nói rằng")).toBe("rõ ràng là nói rằng");
    expect(accented("chỉ cần chị tôi đi")).toBe("chỉ cần chị tôi đi");
    // "mô tô" is a motorbike, not "where".
    expect(accented("bằng lái xe mô tô")).toBe("bằng lái xe mô tô");
    // Without diacritics only a safe neighbour decides.
    expect(accented("lam can cuoc o mo")).toBe("lam căn cước ở đâu");
    expect(accented("mo ung dung")).toBe("mo ung dung");
    expect(accented("lam chi rua")).toBe("làm gì rua");
  });

  it("drops forms of address and the request to ask, and expands chat teencode", () => {
    expect(folded("cháu ơi cho bác hỏi làm căn cước ở đâu")).toBe("lam can cuoc o dau");
    expect(folded("ad ơi e hỏi xíu")).toBe("em hoi xiu");
    expect(folded("ko vào đc app")).toBe("khong vao duoc ung dung");
    expect(folded("down vneid")).toBe("tai vneid");
    expect(folded("le phi bn tien z")).toBe("le phi bao nhieu tien vay");
    expect(folded("cong an xa lam viec may h")).toBe("cong an xa lam viec may gio");
    // "bn" alone stays: it is "bạn" as often as "bao nhiêu".
    expect(folded("bn ơi")).toBe("bn oi");
  });

  it("keeps a lexicon without regional words working", () => {
    const own = compileLexicon({ exact: { "mô": "đâu" } });
    expect(normalize("ở mô", own).accented).toBe("ở đâu");
    expect(normalize("ở mo", own).accented).toBe("ở mo");
    expect(normalize("ở mô").accented).toBe("ở mô");
  });
});
