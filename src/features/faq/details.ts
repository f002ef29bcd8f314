// The short answer says what most people need; a question often asks one thing more ("có lấy mống
// mắt không", "có mất tiền không", "máy mới có đăng nhập được không"). When the guide of the answered
// intent has a sentence about what the question asked and the short answer does not say it, that
// sentence goes under the short answer: the first reply answers what was asked, the guide stays a
// tap away.
import type { ConversationLexicon } from "../../core/conversation.ts";
import type { Intent } from "./knowledge.ts";
import { containsPhrase, EMPTY_WORDS, sentences, splitSentences } from "./followup.ts";
import { normalize, type Lexicon } from "./normalize.ts";

/** At most this many sentences are added. */
const MAX_DETAILS = 2;
/**
 * A sentence is added when the words it shares with the question, and the short answer lacks, weigh
 * this much (IDF over intents): about one word that few intents use, or two common ones. Below it the
 * overlap is chance ("làm", "điện thoại").
 */
const MIN_DETAIL_WEIGHT = 2.2;

export interface DetailContext {
  lexicon: Lexicon;
  conversation: ConversationLexicon;
  /** IDF of a folded word over the intents (0 when unknown). */
  wordWeight(token: string): number;
}

/** The aspects (fee, place, time, …) a message asks about, by the conversation lexicon's phrases. */
export function askedAspects(tokens: readonly string[], lex: ConversationLexicon): string[] {
  const asked: string[] = [];
  for (const [name, { ask }] of lex.aspects) {
    if (ask.some((phrase) => containsPhrase([...tokens], phrase) !== -1)) asked.push(name);
  }
  return asked;
}

/** Sentences of the intent's guide that answer what the question asked beyond the short answer. */
export function askedDetails(intent: Intent, question: string, context: DetailContext): string[] {
  const tokens = normalize(question, context.lexicon).tokens;
  const shortAnswer = splitSentences(intent.answer);
  const answerWords = new Set(normalize(`${intent.answer} ${intent.title}`, context.lexicon).tokens);
  const asked = new Set(tokens.filter((t) => !EMPTY_WORDS.has(t) && !answerWords.has(t)));
  const candidates = sentences(intent).filter((s) => !shortAnswer.includes(s));
  const picked: { sentence: string; weight: number; order: number }[] = [];

  candidates.forEach((sentence, order) => {
    const own = new Set(normalize(sentence, context.lexicon).tokens);
    let weight = 0;
    for (const word of asked) if (own.has(word)) weight += context.wordWeight(word);
    if (weight >= MIN_DETAIL_WEIGHT) picked.push({ sentence, weight, order });
  });

  // An aspect the question asks ("có mất tiền không") that the short answer says nothing about.
  for (const aspect of askedAspects(tokens, context.conversation)) {
    const wanted = context.conversation.aspects.get(aspect)?.answer ?? [];
    const says = (s: string) => {
      const list = normalize(s, context.lexicon).tokens;
      return wanted.some((phrase) => containsPhrase(list, phrase) !== -1);
    };
    if (shortAnswer.some(says)) continue;
    const order = candidates.findIndex(says);
    if (order !== -1 && !picked.some((p) => p.order === order)) picked.push({ sentence: candidates[order]!, weight: Infinity, order });
  }

  return picked
    .sort((a, b) => b.weight - a.weight || a.order - b.order)
    .slice(0, MAX_DETAILS)
    .sort((a, b) => a.order - b.order)
    .map((p) => p.sentence);
}
