// Content review: the questions the FAQ fell back on or was unsure about (stored redacted, see
// recordUnanswered in index.ts), grouped by similarity, each group with the intent it probably belongs to
// and the YAML lines an editor would add to that intent's examples. Nothing here writes into intents/.
//
// Grouping, in words an editor can follow: each question is reduced to its words the way the matcher
// reads them (normalize(): spelling, abbreviations and diacritics folded; the lexicon's fillers dropped).
// Two questions are alike when the words they share weigh at least 45% of the words of both together
// (twice the shared weight over the sum of both questions' weights: the Dice coefficient, which does not
// punish a long question next to a short one as much as Jaccard does). A word weighs less the more of the intents' examples use it, so «cho tôi hỏi» counts
// for little and «chip», «tạm trú» count for a lot. Questions are taken most asked first; each joins the
// group holding the question most like it, if that one is alike enough, else starts a group.
import { stringify } from "yaml";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { KnowledgeBase } from "./knowledge.ts";
import type { FaqMatcher } from "./matcher.ts";
import { foldDiacritics, normalize } from "./normalize.ts";

/** Weighted share of words two questions need in common to be grouped. */
export const SIMILARITY_THRESHOLD = 0.45;
/** A group's best guess below this average confidence is shown as a weak guess. */
export const WEAK_GUESS = 0.3;
/** Labels the redactor puts in place of numbers: such a line is no example (nobody types the label). */
const REDACTION_LABEL = /\[số (?:định danh|điện thoại|CMND)\]|\[e-?mail\]/iu;
/** The question as the citizen typed it, less the number: the labels are the redactor's words, not theirs. */
const withoutLabels = (text: string) => text.replace(new RegExp(REDACTION_LABEL.source, "giu"), " ");

/** One distinct question (by its normalised text) as stored, with how often it was asked. */
export interface AskedQuestion {
  /** The latest wording of it, redacted. */
  text: string;
  count: number;
  lastAsked: Date;
  /** How many of the times the bot fell back (the rest: it was unsure and offered choices). */
  fallbacks: number;
}

export interface IntentGuess {
  intentId: string;
  confidence: number;
}

export interface ReviewedQuestion extends AskedQuestion {
  /** What the matcher makes of it with the content as it is now. */
  guess: IntentGuess | null;
  /** The bot would now answer it outright (someone already added what was missing). */
  answeredNow: boolean;
  /** Its words as compared (folded). */
  words: string[];
}

export interface ReviewGroup {
  questions: ReviewedQuestion[];
  /** Times asked, all questions of the group together. */
  asked: number;
  lastAsked: Date;
  /** The words most of the group's questions share (the reason they are together), heaviest first. */
  sharedWords: string[];
  /** The intent most of the group's questions lean to, or null when the matcher found nothing at all. */
  intent: { id: string; title: string; file: string; confidence: number; agreeing: number } | null;
  /** Lines to paste under the intent's `examples:`; empty when every question is already covered. */
  yaml: string;
  /**
   * Questions left out of the YAML lines: already an example somewhere, holding a redaction label, or
   * answered now with the group's intent (the content already covers them).
   */
  skipped: Array<{ text: string; reason: "known" | "redacted" | "answered" }>;
}

/** Word weights from the intents' own texts: rare words weigh more (IDF); words never seen weigh most. */
export class WordWeights {
  private readonly df = new Map<string, number>();
  private readonly docs: number;
  private readonly fillers: ReadonlySet<string>;
  /** Folded forms of every example, to tell a question that is already an example. */
  readonly knownExamples = new Set<string>();

  constructor(private readonly kb: KnowledgeBase) {
    let docs = 0;
    for (const intent of kb.intents) {
      for (const text of [intent.title, ...intent.examples, ...intent.keywords]) {
        docs++;
        const folded = normalize(text, kb.lexicon).folded;
        for (const word of new Set(folded.split(" ").filter(Boolean))) this.df.set(word, (this.df.get(word) ?? 0) + 1);
      }
      for (const example of intent.examples) this.knownExamples.add(normalize(example, kb.lexicon).folded);
    }
    this.docs = docs;
    this.fillers = new Set([...kb.lexicon.fillers].map((key) => foldDiacritics(key.replace(/\d$/, ""))));
  }

  private readonly weights = new Map<string, number>();

  weight(word: string): number {
    let w = this.weights.get(word);
    if (w === undefined) {
      w = Math.log((this.docs + 1) / ((this.df.get(word) ?? 0) + 1)) + 1;
      this.weights.set(word, w);
    }
    return w;
  }

  /** The distinct words of a question as compared: normalised, fillers out. */
  words(text: string): string[] {
    return [...new Set(normalize(text, this.kb.lexicon).tokens.filter((t) => !this.fillers.has(t)))];
  }

  folded(text: string): string {
    return normalize(text, this.kb.lexicon).folded;
  }
}

/** Weighted Dice similarity of two sets of distinct words: 2 × shared weight / (weight of a + weight of b), in [0, 1]. */
export function similarity(a: readonly string[], b: readonly string[], weight: (word: string) => number): number {
  if (!a.length || !b.length) return 0;
  const inB = new Set(b);
  let shared = 0;
  let total = 0;
  for (const w of a) {
    const x = weight(w);
    total += x;
    if (inB.has(w)) shared += x;
  }
  for (const w of b) total += weight(w);
  return total === 0 ? 0 : (2 * shared) / total;
}

/**
 * Groups questions (most asked first; a question joins the group of the question most like it when that
 * similarity reaches the threshold; of equally alike ones, the one placed first). Deterministic: the same
 * questions give the same groups. Only questions sharing a word can be alike, so each question is compared
 * through an index of words to the placed questions holding them (not to every question placed before it).
 */
export function groupQuestions<T extends { words: string[]; count: number; lastAsked: Date; text: string }>(
  questions: readonly T[],
  weight: (word: string) => number,
  threshold = SIMILARITY_THRESHOLD,
): T[][] {
  const ordered = [...questions].sort((a, b) => b.count - a.count || b.lastAsked.getTime() - a.lastAsked.getTime() || a.text.localeCompare(b.text));
  const groups: T[][] = [];
  const groupOf: number[] = [];
  const totals: number[] = [];
  const holding = new Map<string, number[]>();
  ordered.forEach((q, i) => {
    const words = [...new Set(q.words)];
    const total = words.reduce((sum, w) => sum + weight(w), 0);
    // Shared weight with every placed question that has a word in common (the Dice numerator, halved).
    const shared = new Map<number, number>();
    for (const w of words) {
      const x = weight(w);
      for (const j of holding.get(w) ?? []) shared.set(j, (shared.get(j) ?? 0) + x);
    }
    let best = -1;
    let bestScore = threshold;
    for (const [j, common] of [...shared.entries()].sort((a, b) => a[0] - b[0])) {
      const sum = total + totals[j]!;
      const score = sum === 0 ? 0 : (2 * common) / sum;
      if (score > bestScore || (score === bestScore && best === -1)) {
        bestScore = score;
        best = j;
      }
    }
    if (best >= 0) {
      groupOf[i] = groupOf[best]!;
      groups[groupOf[i]!]!.push(q);
    } else {
      groupOf[i] = groups.length;
      groups.push([q]);
    }
    totals[i] = total;
    for (const w of words) {
      const list = holding.get(w);
      if (list) list.push(i);
      else holding.set(w, [i]);
    }
  });
  return groups;
}

/** One example line per question, as it sits under `examples:` in intents/*.yaml, always double-quoted. */
export function yamlExampleLines(texts: readonly string[], indent = "    "): string {
  return texts.map((t) => `${indent}- ${stringify(t.normalize("NFC"), { defaultStringType: "QUOTE_DOUBLE", lineWidth: 0 }).trimEnd()}`).join("\n");
}

/** The review of the questions: groups, largest first, each with its likely intent and YAML lines. */
export function reviewQuestions(asked: readonly AskedQuestion[], kb: KnowledgeBase, matcher: FaqMatcher, weights = new WordWeights(kb)): ReviewGroup[] {
  const reviewed: ReviewedQuestion[] = asked.map((q) => {
    const result = matcher.match(withoutLabels(q.text));
    return {
      ...q,
      guess: result.best ? { intentId: result.best.intentId, confidence: result.best.confidence } : null,
      answeredNow: result.decision === "answer",
      words: weights.words(withoutLabels(q.text)),
    };
  });
  const groups = groupQuestions(reviewed, (w) => weights.weight(w));
  return groups
    .map((questions) => describeGroup(questions, kb, weights))
    .sort((a, b) => b.asked - a.asked || b.lastAsked.getTime() - a.lastAsked.getTime());
}

function describeGroup(questions: ReviewedQuestion[], kb: KnowledgeBase, weights: WordWeights): ReviewGroup {
  const asked = questions.reduce((n, q) => n + q.count, 0);
  const lastAsked = new Date(Math.max(...questions.map((q) => q.lastAsked.getTime())));

  // The intent: the guess with the most weight (times asked × confidence) across the group.
  const votes = new Map<string, { weight: number; count: number; questions: number }>();
  for (const q of questions) {
    if (!q.guess) continue;
    const v = votes.get(q.guess.intentId) ?? { weight: 0, count: 0, questions: 0 };
    v.weight += q.count * q.guess.confidence;
    v.count += q.count;
    v.questions += 1;
    votes.set(q.guess.intentId, v);
  }
  const top = [...votes.entries()].sort((a, b) => b[1].weight - a[1].weight || b[1].count - a[1].count || a[0].localeCompare(b[0]))[0];
  const found = top ? kb.byId.get(top[0]) : undefined;
  const intent =
    top && found
      ? { id: found.id, title: found.title, file: found.source?.intents ?? `intents/${found.topic}.yaml`, confidence: top[1].weight / top[1].count, agreeing: top[1].questions }
      : null;

  // Words in at least half of the group's questions (all of them for a pair), heaviest first.
  const seen = new Map<string, number>();
  for (const q of questions) for (const w of q.words) seen.set(w, (seen.get(w) ?? 0) + 1);
  const need = Math.max(1, Math.ceil(questions.length / 2));
  const sharedWords = [...seen.entries()]
    .filter(([, n]) => n >= need)
    .sort((a, b) => weights.weight(b[0]) - weights.weight(a[0]) || a[0].localeCompare(b[0]))
    .slice(0, 6)
    .map(([w]) => w);

  const skipped: ReviewGroup["skipped"] = [];
  const lines: string[] = [];
  const taken = new Set<string>();
  for (const q of questions) {
    const folded = weights.folded(q.text);
    if (REDACTION_LABEL.test(q.text)) skipped.push({ text: q.text, reason: "redacted" });
    else if (weights.knownExamples.has(folded)) skipped.push({ text: q.text, reason: "known" });
    else if (q.answeredNow && intent && q.guess?.intentId === intent.id) skipped.push({ text: q.text, reason: "answered" });
    else if (!taken.has(folded)) {
      taken.add(folded);
      lines.push(q.text);
    }
  }
  // A weak guess names no place to paste: out-of-scope questions (football, gold prices) land there too.
  const header =
    intent && intent.confidence >= WEAK_GUESS
      ? `# ${intent.file}, «- id: ${intent.id}», dưới «examples:»`
      : "# Chưa rõ thuộc mục nào. Trong phạm vi: thêm vào mục đúng, hoặc một mục mới (id, title, examples, keywords, basis, reviewed và content/<id>.md). Ngoài phạm vi: không thêm.";
  return { questions, asked, lastAsked, sharedWords, intent, yaml: lines.length ? `${header}\n${yamlExampleLines(lines)}` : "", skipped };
}

/** The distinct questions stored in the last `sinceDays` days, most asked first (at most `limit`). */
export async function askedQuestions(prisma: PrismaClient, sinceDays: number, limit = 1000, now = new Date()): Promise<AskedQuestion[]> {
  const since = new Date(now.getTime() - sinceDays * 86_400_000);
  const rows = await prisma.unansweredQuestion.groupBy({
    by: ["normalized", "outcome"],
    where: { createdAt: { gte: since } },
    _count: { _all: true },
    _max: { createdAt: true },
  });
  const byText = new Map<string, { count: number; fallbacks: number; lastAsked: Date }>();
  for (const r of rows) {
    const q = byText.get(r.normalized) ?? { count: 0, fallbacks: 0, lastAsked: new Date(0) };
    q.count += r._count._all;
    if (r.outcome === "FALLBACK") q.fallbacks += r._count._all;
    if (r._max.createdAt && r._max.createdAt > q.lastAsked) q.lastAsked = r._max.createdAt;
    byText.set(r.normalized, q);
  }
  const top = [...byText.entries()].sort((a, b) => b[1].count - a[1].count || b[1].lastAsked.getTime() - a[1].lastAsked.getTime()).slice(0, limit);
  const latest = await prisma.unansweredQuestion.findMany({
    where: { normalized: { in: top.map(([n]) => n) }, createdAt: { gte: since } },
    orderBy: { createdAt: "desc" },
    distinct: ["normalized"],
    select: { normalized: true, text: true },
  });
  const wording = new Map(latest.map((l) => [l.normalized, l.text]));
  return top.map(([normalized, q]) => ({ text: wording.get(normalized) ?? normalized, ...q }));
}
