// Turns what a citizen types ("Ko nhận đcccc mã OTP!!!", "dk vneid muc 2 ntn") into tokens the matcher
// can compare: NFC, lower case, punctuation out, stretched letters collapsed, teencode and abbreviations
// expanded from intents/lexicon.yaml (data, not code), diacritics folded — with the accented form kept
// alongside, token for token, so the matcher can use the accents when the user typed them.
import { foldDiacritics } from "../../core/text.ts";

/** The compiled lexicon: keys folded (no diacritics, lower case), values with diacritics. */
export interface Lexicon {
  /** Single token → expansion ("ko" → "không", "sdt" → "số điện thoại"). */
  abbreviations: ReadonlyMap<string, string>;
  /** Space-separated folded tokens → expansion ("vn eid" → "vneid", "can cuoc" → "căn cước"). */
  phrases: ReadonlyMap<string, string>;
  /** Token count of the longest phrase key. */
  maxPhraseTokens: number;
  /** Words that carry no topic ("ạ", "nhé", "lỡ"), as accent keys (see accentKey). */
  fillers: ReadonlySet<string>;
  /**
   * Accent key of a word typed WITH its diacritics → expansion ("mô" → "đâu", "răng" → "sao"). For regional
   * words whose bare spelling means something else: "mo" is also "mở", "han" is "hạn", "te" is "tế".
   */
  exact?: ReadonlyMap<string, string>;
}

/** The lexicon as written in intents/lexicon.yaml. */
export interface RawLexicon {
  abbreviations?: Record<string, string> | null | undefined;
  phrases?: Record<string, string> | null | undefined;
  fillers?: string[] | null | undefined;
  exact?: Record<string, string> | null | undefined;
}

export interface Normalized {
  /** Folded tokens joined by one space ("khong nhan duoc ma otp"). */
  folded: string;
  /** Folded tokens: no diacritics, đ → d, lower case. */
  tokens: string[];
  /** The same tokens with diacritics where they are known (typed by the user or restored by the lexicon). */
  accented: string;
  /** `accented` split; always the same length as `tokens` (accentedTokens[i] folds to tokens[i]). */
  accentedTokens: string[];
  /** True when the user typed at least one letter with a diacritic (ignoring lexicon expansions). */
  typedDiacritics: boolean;
}

const COMBINING_MARKS = /\p{M}+/gu;
const NON_WORD = /[^\p{L}\p{N}]+/gu;
const LETTER_DIGIT_BOUNDARY = /(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u;

export { foldDiacritics };

// The five Vietnamese tone marks (as combining characters); the other marks (â ă ê ô ơ ư) change the letter.
const TONES: Record<string, string> = { "\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5" };
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/g;

/**
 * A spelling of a word that does not depend on where the tone mark sits: "khoá" and "khóa", "thuỷ"
 * and "thủy" (old and new placement) give the same key. Letters keep their other marks (â, ơ, đ…);
 * the tone becomes a digit at the end ("khóa" → "khoa1", "vắng" → "văng1", "vàng" → "vang2").
 */
export function accentKey(word: string): string {
  const cached = accentCache.get(word);
  if (cached !== undefined) return cached;
  let tone = "";
  const base = word.normalize("NFD").replace(TONE_MARKS, (mark) => {
    tone = TONES[mark] ?? "";
    return "";
  });
  const key = base.normalize("NFC") + tone;
  if (accentCache.size >= ACCENT_CACHE_SIZE) accentCache.clear();
  accentCache.set(word, key);
  return key;
}
const accentCache = new Map<string, string>();
const ACCENT_CACHE_SIZE = 50_000;

/** Builds the lookup tables; keys are folded so "đt" and "dt" are the same key. */
export function compileLexicon(raw: RawLexicon = {}): Lexicon {
  const abbreviations = new Map<string, string>();
  for (const [key, value] of Object.entries(raw.abbreviations ?? {})) {
    abbreviations.set(foldDiacritics(key).trim(), cleanExpansion(value));
  }
  const phrases = new Map<string, string>();
  let maxPhraseTokens = 1;
  for (const [key, value] of Object.entries(raw.phrases ?? {})) {
    const tokens = splitWords(foldDiacritics(key));
    if (tokens.length === 0) continue;
    phrases.set(tokens.join(" "), cleanExpansion(value));
    maxPhraseTokens = Math.max(maxPhraseTokens, tokens.length);
  }
  const fillers = new Set<string>();
  for (const word of raw.fillers ?? []) {
    for (const w of splitWords(String(word).normalize("NFC").toLowerCase())) fillers.add(accentKey(w));
  }
  const exact = new Map<string, string>();
  for (const [key, value] of Object.entries(raw.exact ?? {})) {
    const word = splitWords(key.normalize("NFC").toLowerCase())[0];
    if (word) exact.set(accentKey(word), cleanExpansion(value));
  }
  return { abbreviations, phrases, maxPhraseTokens, fillers, exact };
}

export const emptyLexicon: Lexicon = compileLexicon();

function cleanExpansion(value: string): string {
  return splitWords(String(value).normalize("NFC").toLowerCase()).join(" ");
}

function splitWords(text: string): string[] {
  return text.replace(NON_WORD, " ").split(" ").filter(Boolean);
}

const hasMark = (token: string): boolean => foldDiacritics(token) !== token;

/**
 * Stretched letters: a run of 3+ of the same letter becomes one ("đượcccc" → "được", "nhannnn" → "nhan").
 * In a word that carries Vietnamese diacritics a doubled letter is collapsed too ("đượcc"), except "oo"
 * ("xoong"). Digits are never touched ("19000368"). Returns "" for a token that is only one letter
 * repeated ("kkkk", "aaaa": laughter, keyboard mashing).
 */
export function collapseRepeats(token: string): string {
  let repeated = false;
  for (let k = 1; k < token.length; k++) {
    if (token[k] === token[k - 1]) {
      repeated = true;
      break;
    }
  }
  if (!repeated) return token;
  const chars = [...token];
  if (chars.length >= 3 && chars.every((c) => c === chars[0]) && /\p{L}/u.test(chars[0]!)) return "";
  const vietnamese = hasMark(token);
  let out = "";
  let i = 0;
  while (i < chars.length) {
    const c = chars[i]!;
    let j = i + 1;
    while (j < chars.length && chars[j] === c) j++;
    const run = j - i;
    const letter = /\p{L}/u.test(c);
    if (letter && (run >= 3 || (run === 2 && vietnamese && c !== "o"))) out += c;
    else out += c.repeat(run);
    i = j;
  }
  return out;
}

interface Piece {
  folded: string;
  accented: string;
  /** Came from the lexicon: its accents are canonical, not typed. */
  expanded: boolean;
}

/** Splits, collapses repeats and splits "14tuoi" → "14 tuoi" (unless the whole token is a lexicon key). */
function preTokens(text: string, lexicon: Lexicon): { accented: string; folded: string }[] {
  const out: { accented: string; folded: string }[] = [];
  for (const raw of splitWords(text.normalize("NFC").toLowerCase())) {
    const rawFolded = foldDiacritics(raw);
    if (lexicon.abbreviations.has(rawFolded)) {
      out.push({ accented: raw, folded: rawFolded });
      continue;
    }
    const collapsed = collapseRepeats(raw);
    if (!collapsed) continue;
    const folded = foldDiacritics(collapsed);
    if (lexicon.abbreviations.has(folded) || !/\d/.test(collapsed) || !LETTER_DIGIT_BOUNDARY.test(collapsed)) {
      out.push({ accented: collapsed, folded });
      continue;
    }
    for (const part of collapsed.split(LETTER_DIGIT_BOUNDARY)) {
      if (part) out.push({ accented: part, folded: foldDiacritics(part) });
    }
  }
  return out;
}

function expansionPieces(expansion: string): Piece[] {
  return expansion.split(" ").map((word) => ({ folded: foldDiacritics(word), accented: word, expanded: true }));
}

/**
 * Normalises a message for matching. Phrases are applied first, longest first, on the folded tokens;
 * then single-token abbreviations. An expansion is written with its diacritics in `accented`.
 */
export function normalize(text: string, lexicon: Lexicon = emptyLexicon): Normalized {
  const pre = preTokens(text, lexicon);
  const pieces: Piece[] = [];
  let i = 0;
  while (i < pre.length) {
    let matched = false;
    for (let n = Math.min(lexicon.maxPhraseTokens, pre.length - i); n >= 2; n--) {
      const key = pre
        .slice(i, i + n)
        .map((p) => p.folded)
        .join(" ");
      const expansion = lexicon.phrases.get(key);
      if (expansion !== undefined) {
        pieces.push(...expansionPieces(expansion));
        i += n;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    const token = pre[i]!;
    const expansion =
      lexicon.phrases.get(token.folded) ?? lexicon.exact?.get(accentKey(token.accented)) ?? lexicon.abbreviations.get(token.folded);
    if (expansion !== undefined) pieces.push(...expansionPieces(expansion));
    else pieces.push({ folded: token.folded, accented: token.accented, expanded: false });
    i++;
  }
  const kept = pieces.filter((p) => p.folded);
  const tokens = kept.map((p) => p.folded);
  const accentedTokens = kept.map((p) => p.accented);
  return {
    folded: tokens.join(" "),
    tokens,
    accented: accentedTokens.join(" "),
    accentedTokens,
    typedDiacritics: kept.some((p) => !p.expanded && p.accented !== p.folded),
  };
}
