// The FAQ in conversation: free text → matcher → an answer (with a step-by-step guide), "Ý bạn là…"
// suggestions, or the fallback with the topic menu and "Hỏi cán bộ". Unsure and unanswered questions are
// stored (redacted) for content owners: `npm run admin -- unanswered`.
//
// Button payloads (≤ 64 bytes): faq:a:<intent> answer, faq:s:<intent>:<n> guide step n (1-based),
// faq:t:<topic> the intents of a topic.
//
// Around the matcher: small talk (greetings, thanks, goodbyes) gets a warm short reply; the last answered
// intent stays in the session for a while, so follow-ups and self-corrections are read against it
// (followup.ts).
import path from "node:path";
import { cacheDir, cachedBuild } from "../../core/content-cache.ts";
import { type ConversationLexicon, smalltalkKind, type SmalltalkKind, words } from "../../core/conversation.ts";
import { fill } from "../../core/messages.ts";
import type { Registrar } from "../../core/router.ts";
import type { Button, Reply, TurnContext } from "../../core/types.ts";
import type { Feature } from "../../core/feature.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { redactPII } from "../../privacy/redact.ts";
import { askOfficerButton } from "../handoff.ts";
import { loadKnowledgeBase, repoRoot, type Intent, type KnowledgeBase } from "./knowledge.ts";
import { askedDetails } from "./details.ts";
import { answeredParts, faqListSlot, ordinalReference, readList } from "./multi.ts";
import { analyzeFollowUp, aspectSentences, faqContextSlot, type FollowUp, readContext } from "./followup.ts";
import { buildMatcherIndex, FaqMatcher, type MatcherIndex, type MatcherOptions, type MatchResult } from "./matcher.ts";
import { normalize } from "./normalize.ts";

export interface Faq {
  kb: KnowledgeBase;
  matcher: FaqMatcher;
  topicMenu(): Button[][];
}

/**
 * From this confidence a "suggest" decision shows the likely answer with the alternatives as buttons
 * (the calibrated confidence estimates P(right): from here on the answer is right more often than not
 * by a clear margin); below it, only "Ý bạn là…" buttons.
 */
export const TENTATIVE_CONFIDENCE = 0.6;

/** Up to this many words, a message after an answer is read as a follow-up on it first. */
const SHORT_FOLLOW_UP_WORDS = 7;

const menuButton: Button = { label: "Chủ đề khác", payload: "menu" };

function topicLabel(ctx: Pick<TurnContext, "services">, topic: string): string {
  return ctx.services.messages[`topic_${topic}`] ?? topic;
}

export function createFaq(kb: KnowledgeBase, labels: Record<string, string | undefined>, options: MatcherOptions = {}, index?: MatcherIndex): Faq {
  const matcher = new FaqMatcher(kb, options, index);
  const topicMenu = () => {
    const buttons = kb.topics.map((t) => ({ label: labels[`topic_${t}`] ?? t, payload: `faq:t:${t}` }));
    const rows: Button[][] = [];
    for (let i = 0; i < buttons.length; i += 2) rows.push(buttons.slice(i, i + 2));
    rows.push([askOfficerButton]);
    return rows;
  };
  return { kb, matcher, topicMenu };
}

/** Related intents shown as buttons under an answer (a phone screen holds two more without scrolling). */
const RELATED_BUTTONS = 2;

/**
 * The short answer, its guide, and the intents it relates to as buttons (never "xem mục …" in the text);
 * with `details` (askedDetails: the guide's lines on what the question asked beyond the short answer)
 * under it.
 */
function answerReply(intent: Intent, kb: KnowledgeBase, details?: { heading: string; lines: string[] }): Reply {
  const rows: Button[][] = [];
  if (intent.steps.length) rows.push([{ label: "Bước tiếp", payload: `faq:s:${intent.id}:1` }]);
  for (const related of intent.related.slice(0, RELATED_BUTTONS).flatMap((id) => kb.byId.get(id) ?? [])) {
    rows.push([{ label: related.title, payload: `faq:a:${related.id}` }]);
  }
  rows.push([askOfficerButton, menuButton]);
  const text = details?.lines.length
    ? [intent.answer, details.heading, ...details.lines.map((l) => `- ${l}`)].join("\n")
    : intent.answer;
  return { text, buttons: rows };
}

/** Only the part of an answer a follow-up asked for ("phí bao nhiêu?" → the fee lines), with the whole one a tap away. */
function aspectReply(ctx: TurnContext, intent: Intent, lines: string[]): Reply {
  const rows: Button[][] = [[{ label: "Xem đầy đủ", payload: `faq:a:${intent.id}` }]];
  if (intent.steps.length) rows[0]!.push({ label: "Bước tiếp", payload: `faq:s:${intent.id}:1` });
  rows.push([askOfficerButton, menuButton]);
  const text = [fill(ctx.services.messages.followUpAbout, { title: intent.title }), ...lines.map((l) => `- ${l}`)].join("\n");
  return { text, buttons: rows };
}

const smalltalkMessage: Record<SmalltalkKind, "smalltalkGreet" | "smalltalkThanks" | "smalltalkBye" | "smalltalkAck" | "smalltalkHelp"> = {
  greet: "smalltalkGreet",
  thanks: "smalltalkThanks",
  bye: "smalltalkBye",
  ack: "smalltalkAck",
  help: "smalltalkHelp",
};

/** Keeps the answered intent as the conversation's topic. */
async function rememberTopic(ctx: TurnContext, intentId: string): Promise<void> {
  const state = await ctx.loadState();
  faqContextSlot.set(state, { intent: intentId, at: ctx.message.receivedAt.getTime() });
  await ctx.saveState(state);
}

function stepReply(intent: Intent, n: number): Reply {
  const step = intent.steps[n - 1]!;
  const nav: Button[] = [{ label: "Quay lại", payload: n === 1 ? `faq:a:${intent.id}` : `faq:s:${intent.id}:${n - 1}` }];
  // The position goes on the button, so a step keeps the content's length limit (title, line break, text).
  if (n < intent.steps.length) nav.push({ label: `Bước tiếp (${n + 1}/${intent.steps.length})`, payload: `faq:s:${intent.id}:${n + 1}` });
  return {
    text: `${step.title}\n${step.text}`,
    buttons: [nav, [askOfficerButton, menuButton]],
  };
}

async function recordUnanswered(prisma: PrismaClient, ctx: TurnContext, result: MatchResult, kb: KnowledgeBase): Promise<void> {
  const text = redactPII(ctx.text);
  try {
    await prisma.unansweredQuestion.create({
      data: {
        text,
        normalized: normalize(text, kb.lexicon).folded.slice(0, 500),
        outcome: result.decision === "fallback" ? "FALLBACK" : "LOW_CONFIDENCE",
        bestIntent: result.best?.intentId ?? null,
        confidence: result.best?.confidence ?? 0,
        channel: ctx.services.registry.toEnum(ctx.message.channel),
      },
    });
  } catch (error) {
    ctx.log.error({ err: error }, "could not store an unanswered question");
  }
}

export function registerFaq(router: Registrar, faq: Faq, lexicon: ConversationLexicon): void {
  const { kb, matcher } = faq;
  const detailContext = { lexicon: kb.lexicon, conversation: lexicon, wordWeight: (t: string) => matcher.wordWeight(t) };
  const withDetails = (ctx: TurnContext, intent: Intent) => ({
    heading: ctx.services.messages.askedDetails,
    lines: askedDetails(intent, ctx.text, detailContext),
  });

  /**
   * A follow-up on the last answer: the message read together with that intent's title; a bare
   * "phí bao nhiêu" / "làm ở đâu" answered from the last intent's own lines when they say it.
   */
  const resolveFollowUp = (follow: FollowUp, last: Intent, alone: MatchResult): { intent: Intent; lines: string[] } | null => {
    if (follow.aspectOnly && follow.aspect) {
      // The last answer's own lines, else those of an intent it links to ("mất phí không" after «mức 1, mức 2»
      // is answered by the registration intent's fee line).
      for (const intent of [last, ...last.related.flatMap((id) => kb.byId.get(id) ?? [])]) {
        const lines = aspectSentences(intent, follow.aspect, lexicon);
        if (lines.length) return { intent, lines };
      }
    }
    // "à không, ý tôi là thẻ của mẹ tôi, mẹ 62 tuổi…": the correction usually says enough on its own.
    if (follow.kind === "correction" && follow.rest) {
      const corrected = matcher.match(follow.rest);
      const intent = corrected.best ? kb.byId.get(corrected.best.intentId) : undefined;
      if (intent && corrected.decision === "answer") return { intent, lines: [] };
    }
    // Words no intent knows ("còn giá vàng thì sao") are not about the last answer.
    if (follow.rest && matcher.analyze(follow.rest).unknown > 0.5) return null;
    const together = matcher.match(`${follow.rest} ${last.title}`);
    const candidate = together.best ? kb.byId.get(together.best.intentId) : undefined;
    // Read with the last topic, the message is answered, or at least points to that topic or a related one.
    const nearLast = candidate !== undefined && (candidate.id === last.id || last.related.includes(candidate.id));
    let intent = candidate && (together.decision === "answer" || (together.decision === "suggest" && nearLast)) ? candidate : undefined;
    // "phí bao nhiêu", "làm online được không": the last answer's own lines, when nothing better is found.
    if (!intent && follow.aspect && aspectSentences(last, follow.aspect, lexicon).length) intent = last;
    if (!intent) return null;
    const lines = follow.aspect ? aspectSentences(intent, follow.aspect, lexicon) : [];
    return { intent, lines };
  };

  /** One reply to several questions: each short answer under its number, a button per question. */
  const severalAnswers = async (ctx: TurnContext, parts: MatchResult[]): Promise<Reply> => {
    const intents = parts.flatMap((p) => kb.byId.get(p.best!.intentId) ?? []);
    const m = ctx.services.messages;
    const sections = intents.map((intent, i) => {
      const answer = intent.answer
        .split("\n")
        .filter((line) => !line.includes("«Bước tiếp»"))
        .join("\n");
      return `${i + 1}. «${intent.title}»\n${answer}`;
    });
    const state = await ctx.loadState();
    const now = ctx.message.receivedAt.getTime();
    faqListSlot.set(state, { intents: intents.map((i) => i.id), at: now });
    faqContextSlot.set(state, { intent: intents.at(-1)!.id, at: now });
    await ctx.saveState(state);
    ctx.outcome = {
      intentId: intents[0]!.id,
      confidence: Math.min(...parts.map((p) => p.best!.confidence)),
      fallback: false,
      suggestions: intents.slice(1).map((i) => i.id),
    };
    return {
      text: [fill(m.severalQuestions, { count: String(intents.length) }), ...sections, m.severalQuestionsGuide].join("\n\n"),
      buttons: [
        ...intents.map((intent, i) => [
          { label: `${i + 1}. ${intent.title}`, payload: intent.steps.length ? `faq:s:${intent.id}:1` : `faq:a:${intent.id}` },
        ]),
        [askOfficerButton, menuButton],
      ],
    };
  };
  /** "cái thứ 2 thì sao": a follow-up on the one referred to, with whatever the rest asks. */
  const referredFollowUp = (rest: string): FollowUp => ({ kind: "marker", rest: words(rest).join(" "), aspect: null, aspectOnly: false });

  router.onText(async (ctx) => {
    const m = ctx.services.messages;
    const small = smalltalkKind(ctx.text, lexicon);
    if (small) {
      ctx.outcome = { intentId: null, confidence: 1, fallback: false, suggestions: [] };
      const buttons = small === "greet" || small === "ack" || small === "help" ? faq.topicMenu() : [[menuButton, askOfficerButton]];
      return [{ text: m[smalltalkMessage[small]], buttons }];
    }

    const now = ctx.message.receivedAt.getTime();
    const state = await ctx.loadState();
    // "cái thứ 2 phí bao nhiêu" after a reply to several questions: the rest, about the second one.
    const reference = ordinalReference(ctx.text, lexicon);
    const listed = reference ? readList(state, now) : null;
    const referred = listed && reference ? listed.at(reference.position === -1 ? -1 : reference.position - 1) : undefined;
    const question = referred && reference ? reference.rest : ctx.text;

    const result = matcher.match(question);
    if (!referred) {
      const parts = answeredParts(ctx.text, result, matcher);
      if (parts) return [await severalAnswers(ctx, parts)];
    }
    const context = readContext(state, now);
    const last = referred ? kb.byId.get(referred) : context ? kb.byId.get(context.intent) : undefined;
    // What was referred to is the topic even without a follow-up word ("cái thứ 2 thì sao").
    const follow = last ? (analyzeFollowUp(question, lexicon, result.decision === "answer") ?? (referred ? referredFollowUp(question) : null)) : null;
    // A short message after an answer is read as a follow-up first ("đăng ký ở đâu" after «mức 2» is
    // about VNeID, not about registering a motorbike); a long one that is answered on its own is a new question.
    const short = words(question).length <= SHORT_FOLLOW_UP_WORDS;
    if (last && follow && (result.decision !== "answer" || short || follow.kind === "correction" || referred)) {
      const resolved = resolveFollowUp(follow, last, result) ?? (referred ? { intent: last, lines: [] } : null);
      if (resolved) {
        ctx.outcome = { intentId: resolved.intent.id, confidence: result.best?.confidence ?? 0, fallback: false, suggestions: [] };
        await rememberTopic(ctx, resolved.intent.id);
        return [resolved.lines.length ? aspectReply(ctx, resolved.intent, resolved.lines) : answerReply(resolved.intent, kb)];
      }
    }

    const best = result.best ? kb.byId.get(result.best.intentId) : undefined;
    if (result.decision === "answer" && best) {
      ctx.outcome = { intentId: best.id, confidence: result.best!.confidence, fallback: false, suggestions: [] };
      await rememberTopic(ctx, best.id);
      return [answerReply(best, kb, withDetails(ctx, best))];
    }
    await recordUnanswered(ctx.services.prisma, ctx, result, kb);
    // Likely but not sure, and the alternatives close: the likely answer now, the others one tap away.
    if (result.decision === "suggest" && best && result.best!.confidence >= TENTATIVE_CONFIDENCE) {
      const others = result.runnersUp.slice(0, 2).flatMap((c) => kb.byId.get(c.intentId) ?? []);
      ctx.outcome = { intentId: best.id, confidence: result.best!.confidence, fallback: false, suggestions: others.map((i) => i.id) };
      await rememberTopic(ctx, best.id);
      const reply = answerReply(best, kb, withDetails(ctx, best));
      return [
        {
          text: `${fill(m.tentativeAnswer, { title: best.title })}\n${reply.text}`,
          buttons: [
            ...(best.steps.length ? [[{ label: "Bước tiếp", payload: `faq:s:${best.id}:1` }]] : []),
            ...others.map((i) => [{ label: fill(m.tentativeOther, { title: i.title }), payload: `faq:a:${i.id}` }]),
            [askOfficerButton, menuButton],
          ],
        },
      ];
    }
    if (result.decision === "suggest" && best) {
      const options = [result.best!, ...result.runnersUp].slice(0, 3).flatMap((c) => kb.byId.get(c.intentId) ?? []);
      ctx.outcome = { intentId: null, confidence: result.best!.confidence, fallback: true, suggestions: options.map((i) => i.id) };
      return [
        {
          text: m.didYouMean,
          buttons: [...options.map((i) => [{ label: i.title, payload: `faq:a:${i.id}` }]), [askOfficerButton, menuButton]],
        },
      ];
    }
    ctx.outcome = { intentId: null, confidence: result.best?.confidence ?? 0, fallback: true, suggestions: [] };
    return [{ text: m.fallback, buttons: faq.topicMenu() }];
  });

  router.payload({
    prefix: "faq",
    async run(ctx, value) {
      const [kind, id, n] = value.split(":");
      if (kind === "t") {
        const intents = kb.intents.filter((i) => i.topic === id);
        if (intents.length === 0) return [{ text: ctx.services.messages.fallback, buttons: faq.topicMenu() }];
        return [
          {
            text: fill(ctx.services.messages.topicIntro, { topic: topicLabel(ctx, id!) }),
            buttons: [...intents.map((i) => [{ label: i.title, payload: `faq:a:${i.id}` }]), [menuButton]],
          },
        ];
      }
      const intent = id ? kb.byId.get(id) : undefined;
      // An old button whose intent was removed from the content: show the menu rather than fail.
      if (!intent) return [{ text: ctx.services.messages.fallback, buttons: faq.topicMenu() }];
      ctx.outcome = { intentId: intent.id, confidence: 1, fallback: false, suggestions: [] };
      await rememberTopic(ctx, intent.id);
      if (kind === "s") {
        const step = Number(n);
        if (Number.isInteger(step) && step >= 1 && step <= intent.steps.length) return [stepReply(intent, step)];
      }
      return [answerReply(intent, kb)];
    },
  });
}

/** What the knowledge base and the matcher's index are built from (and the code, see core/content-cache.ts). */
const faqInputs = [path.join(repoRoot, "intents"), path.join(repoRoot, "content")];

/**
 * The validated knowledge base and the matcher's index: from `cacheDir` while the content files and the
 * code are unchanged (reading YAML, validating, indexing and training took most of a one-question run),
 * else loaded, checked and indexed, then cached. Broken content is never cached, so it fails every start alike.
 */
export function loadFaqIndex(cacheDir?: string): { kb: KnowledgeBase; index: MatcherIndex } {
  return cachedBuild(cacheDir, { name: "faq", inputs: faqInputs }, () => {
    const kb = loadKnowledgeBase();
    return { kb, index: buildMatcherIndex(kb) };
  });
}

/**
 * The FAQ as a feature: free text, the faq: buttons, and the topic menu for /start. The knowledge base is
 * loaded and validated when the core is built: broken content stops the bot with the file named.
 */
export function faqFeature(options: MatcherOptions = {}): Feature {
  return {
    name: "faq",
    register(router, { services, conversation, hooks }) {
      const { kb, index } = loadFaqIndex(cacheDir(services.config));
      const faq = createFaq(kb, services.messages, options, index);
      hooks.topicMenu = faq.topicMenu;
      registerFaq(router, faq, conversation);
    },
  };
}

/** The questions people asked that the FAQ could not answer well, most frequent first. */
export async function topUnanswered(prisma: PrismaClient, limit = 30, sinceDays = 90) {
  const since = new Date(Date.now() - sinceDays * 86_400_000);
  const groups = await prisma.unansweredQuestion.groupBy({
    by: ["normalized"],
    where: { createdAt: { gte: since } },
    _count: { _all: true },
    _max: { createdAt: true },
    orderBy: { _count: { normalized: "desc" } },
    take: limit,
  });
  return Promise.all(
    groups.map(async (g) => {
      const example = await prisma.unansweredQuestion.findFirst({ where: { normalized: g.normalized }, orderBy: { createdAt: "desc" } });
      return { count: g._count._all, lastAsked: g._max.createdAt, text: example?.text ?? g.normalized, bestIntent: example?.bestIntent ?? null, confidence: example?.confidence ?? 0 };
    }),
  );
}
