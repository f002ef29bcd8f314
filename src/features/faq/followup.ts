// A conversation, not single shots: the topic of the last answer is kept in the session for a while,
// and a follow-up ("phí bao nhiêu", "làm ở đâu", "còn con tôi 5 tuổi thì sao", "à không, ý tôi là thẻ
// của mẹ tôi") is read against it. Word lists: content/conversation.yaml.
import { type ConversationLexicon, words } from "../../core/conversation.ts";
import { z } from "zod";
import { sessionSlot } from "../../core/session.ts";
import type { DialogueState } from "../../core/types.ts";
import type { Intent } from "./knowledge.ts";

/** The last answered intent, in the session under `faq`. */
export const faqContextSlot = sessionSlot(
  "faq",
  z.object({
    intent: z.string(),
    /** Epoch ms of the answer. */
    at: z.number(),
  }),
);
export type FaqContext = NonNullable<ReturnType<typeof faqContextSlot.get>>;

/** After this much silence a message starts a new conversation. */
export const CONTEXT_TTL_MS = 30 * 60_000;

export function readContext(state: DialogueState, now: number): FaqContext | null {
  const faq = faqContextSlot.get(state);
  if (!faq || now - faq.at > CONTEXT_TTL_MS) return null;
  return { intent: faq.intent, at: faq.at };
}

export interface FollowUp {
  /** "correction": "à không, ý tôi là…"; "marker": "còn…", "…thì sao"; "aspect": only asks fee/place/time/documents. */
  kind: "correction" | "marker" | "aspect";
  /** The message without the correction or follow-up words, folded. */
  rest: string;
  /** Which side of the last answer it asks about (fee, place, time, documents), if any. */
  aspect: string | null;
  /** Nothing but the aspect (and small words) is asked: "phí bao nhiêu?", "làm ở đâu vậy". */
  aspectOnly: boolean;
}

/** Words that carry no topic in a follow-up ("làm ở đâu vậy", "cái đó mất bao lâu"). */
export const EMPTY_WORDS = new Set(["lam", "thi", "co", "khong", "ko", "k", "vay", "the", "nay", "do", "no", "cai", "la", "sao", "nao", "duoc", "dc", "phai", "bao", "nhieu", "can", "muon", "hoi", "cho", "minh", "toi", "em", "a", "nua", "roi", "va", "voi", "de", "o", "ma", "nhung", "het", "theo", "ca"]);

export function containsPhrase(haystack: string[], phrase: string): number {
  const needle = phrase.split(" ");
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** An aspect question of up to this many words is a follow-up; of up to ASPECT_UNANSWERED_WORDS when it is not answered on its own. */
const ASPECT_WORDS = 5;
/**
 * "người yêu mình ở tỉnh khác thì làm ở đâu" after «đăng ký kết hôn»: longer, with words of its own, but
 * not a question the FAQ answers alone; the place it asks is the last topic's.
 */
const ASPECT_UNANSWERED_WORDS = 10;

/**
 * Whether and how a message follows up on the last answer; null for a question of its own.
 * `answeredAlone`: the matcher answers the message without the context.
 */
export function analyzeFollowUp(text: string, lex: ConversationLexicon, answeredAlone = false): FollowUp | null {
  let list = words(text);
  if (list.length === 0) return null;
  let kind: FollowUp["kind"] | null = null;

  // "à không, ý tôi là …" near the start.
  for (const correction of lex.corrections) {
    const at = containsPhrase(list.slice(0, 6), correction);
    if (at !== -1) {
      list = list.slice(at + correction.split(" ").length);
      kind = "correction";
      break;
    }
  }
  if (!kind) {
    const joined = list.join(" ");
    const marker = lex.markers.find((m) => joined === m || joined.startsWith(`${m} `));
    if (marker && list.length <= 14) {
      list = list.slice(marker.split(" ").length);
      kind = "marker";
    }
    for (const tail of lex.tails) {
      if (list.join(" ").endsWith(` ${tail}`) && list.length <= 14) {
        list = list.slice(0, list.length - tail.split(" ").length);
        kind = "marker";
      }
    }
  }

  let aspect: string | null = null;
  let remaining = [...list];
  for (const [name, { ask }] of lex.aspects) {
    for (const phrase of ask) {
      const at = containsPhrase(remaining, phrase);
      if (at === -1) continue;
      aspect ??= name;
      if (aspect === name) remaining = [...remaining.slice(0, at), ...remaining.slice(at + phrase.split(" ").length)];
    }
  }
  const content = remaining.filter((w) => !EMPTY_WORDS.has(w) && !lex.softeners.has(w));
  const aspectOnly = aspect !== null && content.length === 0;
  const aspectWords = answeredAlone ? ASPECT_WORDS : ASPECT_UNANSWERED_WORDS;
  if (!kind && aspect && (aspectOnly || list.length <= aspectWords)) kind = "aspect";
  if (!kind) return null;
  return { kind, rest: list.join(" "), aspect, aspectOnly };
}

/** Lines and sentences of an answer and its guide, as the person reads them. */
export function sentences(intent: Intent): string[] {
  return splitSentences([intent.answer, ...intent.steps.map((s) => s.text)].join("\n"));
}

/** Lines and sentences of a text (the «Bước tiếp» hint left out). */
export function splitSentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+(?=\p{Lu})/u)
    .map((s) => s.replace(/^[-•*]\s*/, "").trim())
    .filter((s) => s && !/«Bước tiếp»|Bước tiếp/.test(s));
}

/** The sentences of `intent` that answer one aspect ("phí" → the fee lines), at most four, in order. */
export function aspectSentences(intent: Intent, aspect: string, lex: ConversationLexicon): string[] {
  const wanted = lex.aspects.get(aspect)?.answer ?? [];
  const found: string[] = [];
  for (const sentence of sentences(intent)) {
    const list = words(sentence);
    if (!wanted.some((phrase) => containsPhrase(list, phrase) !== -1)) continue;
    if (!found.includes(sentence)) found.push(sentence);
    if (found.length === 4) break;
  }
  return found;
}
