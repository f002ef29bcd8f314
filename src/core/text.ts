// Vietnamese text helpers shared by every feature.

const COMBINING_MARKS = /\p{M}+/gu;
const foldCache = new Map<string, string>();
const FOLD_CACHE_SIZE = 50_000;

/** "Đăng ký" → "dang ky": lower case, diacritics removed, đ → d. Cached: the FAQ folds the same words often. */
export function foldDiacritics(text: string): string {
  const cached = foldCache.get(text);
  if (cached !== undefined) return cached;
  const folded = /^[\x00-\x7f]*$/.test(text)
    ? text.toLowerCase()
    : text.normalize("NFC").toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(COMBINING_MARKS, "").normalize("NFC");
  if (foldCache.size >= FOLD_CACHE_SIZE) foldCache.clear();
  foldCache.set(text, folded);
  return folded;
}

/** "a", "a or b", "a, b or c" (for usage and validation messages). */
export function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}
