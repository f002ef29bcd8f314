// Two or three questions in one message ("mình có 2 việc: đổi số điện thoại trên VNeID và làm lại căn
// cước bị mất"): each part the matcher answers on its own is answered, in order, in one reply, and the
// list of them stays in the session, so "cái thứ 2 phí bao nhiêu" reads "phí bao nhiêu" against the
// second.
import { z } from "zod";
import { type ConversationLexicon, words } from "../../core/conversation.ts";
import { sessionSlot } from "../../core/session.ts";
import type { DialogueState } from "../../core/types.ts";
import { CONTEXT_TTL_MS } from "./followup.ts";
import type { FaqMatcher, MatchResult } from "./matcher.ts";

/** The intents of the last reply that answered several questions, in the order given. */
export const faqListSlot = sessionSlot(
  "faqList",
  z.object({
    intents: z.array(z.string()).min(2).max(3),
    /** Epoch ms of the answer. */
    at: z.number(),
  }),
);

export function readList(state: DialogueState, now: number): string[] | null {
  const list = faqListSlot.get(state);
  return list && now - list.at <= CONTEXT_TTL_MS ? list.intents : null;
}

/** A part needs this many words to be a question of its own ("và con tôi" is not). */
const MIN_PART_WORDS = 3;
const MAX_PARTS = 3;
// "mình có 2 việc:", "cho hỏi mấy câu:" — an announcement of the questions, before a colon.
const PREAMBLE = /^[^:]{0,60}\b(?:việc|viec|câu hỏi|cau hoi|câu|cau|vấn đề|van de|chuyện|chuyen|thủ tục|thu tuc)\b[^:]{0,20}:/iu;
// Where one question ends and the next begins: ; ? . and "và", "với cả", "với lại", ", còn" (typed with
// its accent: ", con tôi…" is a child).
const PART_BREAK = /\s*[;?.!\n]+\s*|,?\s+(?:và|va|với cả|voi ca|với lại|voi lai)\s+|,\s*còn\s+/iu;

/** The questions of a message, when it has more than one part long enough to be one (else []). */
export function questionParts(text: string): string[] {
  const body = text.replace(PREAMBLE, " ");
  const parts = body
    .split(PART_BREAK)
    .map((p) => p.trim())
    .filter((p) => p.split(/\s+/).filter(Boolean).length >= MIN_PART_WORDS);
  return parts.length >= 2 && parts.length <= MAX_PARTS ? parts : [];
}

/**
 * The distinct intents the parts of a message are answered with, in order, when at least two parts
 * are answered on their own with different, unrelated intents; else null. The whole message's own
 * answer, when there is one, must be one of them (otherwise the message is one question that happens to
 * have a "và"). Related intents ("mức 1 và mức 2 khác nhau thế nào") are one question: its answer links
 * to the other as a button.
 */
export function answeredParts(text: string, whole: MatchResult, matcher: FaqMatcher): MatchResult[] | null {
  const parts = questionParts(text);
  if (parts.length < 2) return null;
  const answered: MatchResult[] = [];
  for (const part of parts) {
    const r = matcher.match(part);
    if (r.decision === "answer" && r.best && !answered.some((a) => a.best!.intentId === r.best!.intentId)) answered.push(r);
  }
  if (answered.length < 2) return null;
  const ids = answered.map((a) => a.best!.intentId);
  if (ids.some((a, i) => ids.some((b, k) => k > i && matcher.areRelated(a, b)))) return null;
  if (whole.decision === "answer" && !answered.some((a) => a.best!.intentId === whole.best?.intentId)) return null;
  return answered;
}

/**
 * "cái thứ 2 phí bao nhiêu", "việc đầu làm ở đâu": the position referred to and the rest of the message;
 * null when the message does not start so, or is nothing but the reference (a typed choice).
 */
export function ordinalReference(text: string, lex: ConversationLexicon): { position: number; rest: string } | null {
  const list = words(text);
  let i = 0;
  while (i < list.length && (lex.choiceWords.has(list[i]!) || list[i] === "viec")) i++;
  if (i === 0) return null;
  for (const n of [2, 1]) {
    const spoken = list.slice(i, i + n).join(" ");
    const position = /^\d$/.test(spoken) ? Number(spoken) : lex.ordinals.get(spoken);
    if (position === undefined || i + n >= list.length) continue;
    return { position, rest: list.slice(i + n).join(" ") };
  }
  return null;
}
