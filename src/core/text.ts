// Vietnamese text helpers shared by every feature.

const COMBINING_MARKS = /\p{M}+/gu;

/** "Đăng ký" → "dang ky": lower case, diacritics removed, đ → d. */
export function foldDiacritics(text: string): string {
  return text
    .normalize("NFC")
    .toLowerCase()
    .replace(/đ/g, "d")
    .normalize("NFD")
    .replace(COMBINING_MARKS, "")
    .normalize("NFC");
}
