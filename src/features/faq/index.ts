// The FAQ in conversation: free text → matcher → an answer (with a step-by-step guide), "Ý bạn là…"
// suggestions, or the fallback with the topic menu and "Hỏi cán bộ". Unsure and unanswered questions are
// stored (redacted) for content owners: `npm run admin -- unanswered`.
//
// Button payloads (≤ 64 bytes): faq:a:<intent> answer, faq:s:<intent>:<n> guide step n (1-based),
// faq:t:<topic> the intents of a topic.
import { fill } from "../../core/messages.ts";
import type { Router } from "../../core/router.ts";
import type { Button, Reply, TurnContext } from "../../core/types.ts";
import type { ChannelEnum } from "../../core/identity.ts";
import { channelEnum } from "../../core/identity.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { redactPII } from "../../privacy/redact.ts";
import { askOfficerButton } from "../handoff.ts";
import type { Intent, KnowledgeBase } from "./knowledge.ts";
import { FaqMatcher, type MatchResult } from "./matcher.ts";
import { normalize } from "./normalize.ts";

export interface Faq {
  kb: KnowledgeBase;
  matcher: FaqMatcher;
  topicMenu(): Button[][];
}

const menuButton: Button = { label: "Chủ đề khác", payload: "menu" };

function topicLabel(ctx: Pick<TurnContext, "services">, topic: string): string {
  return ctx.services.messages[`topic_${topic}`] ?? topic;
}

export function createFaq(kb: KnowledgeBase, labels: Record<string, string | undefined>): Faq {
  const matcher = new FaqMatcher(kb);
  const topicMenu = () => {
    const buttons = kb.topics.map((t) => ({ label: labels[`topic_${t}`] ?? t, payload: `faq:t:${t}` }));
    const rows: Button[][] = [];
    for (let i = 0; i < buttons.length; i += 2) rows.push(buttons.slice(i, i + 2));
    rows.push([askOfficerButton]);
    return rows;
  };
  return { kb, matcher, topicMenu };
}

function answerReply(intent: Intent): Reply {
  const rows: Button[][] = [];
  if (intent.steps.length) rows.push([{ label: "Bước tiếp", payload: `faq:s:${intent.id}:1` }]);
  rows.push([askOfficerButton, menuButton]);
  return { text: intent.answer, buttons: rows };
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
        channel: channelEnum[ctx.message.channel] as ChannelEnum,
      },
    });
  } catch (error) {
    ctx.log.error({ err: error }, "could not store an unanswered question");
  }
}

export function registerFaq(router: Router, faq: Faq): void {
  const { kb, matcher } = faq;

  router.onText(async (ctx) => {
    const result = matcher.match(ctx.text);
    const best = result.best ? kb.byId.get(result.best.intentId) : undefined;
    if (result.decision === "answer" && best) {
      ctx.outcome = { intentId: best.id, confidence: result.best!.confidence, fallback: false, suggestions: [] };
      return [answerReply(best)];
    }
    await recordUnanswered(ctx.services.prisma, ctx, result, kb);
    if (result.decision === "suggest" && best) {
      const options = [result.best!, ...result.runnersUp].slice(0, 3).flatMap((c) => kb.byId.get(c.intentId) ?? []);
      ctx.outcome = { intentId: null, confidence: result.best!.confidence, fallback: true, suggestions: options.map((i) => i.id) };
      return [
        {
          text: ctx.services.messages.didYouMean,
          buttons: [...options.map((i) => [{ label: i.title, payload: `faq:a:${i.id}` }]), [askOfficerButton, menuButton]],
        },
      ];
    }
    ctx.outcome = { intentId: null, confidence: result.best?.confidence ?? 0, fallback: true, suggestions: [] };
    return [{ text: ctx.services.messages.fallback, buttons: faq.topicMenu() }];
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
      if (kind === "s") {
        const step = Number(n);
        if (Number.isInteger(step) && step >= 1 && step <= intent.steps.length) return [stepReply(intent, step)];
      }
      return [answerReply(intent)];
    },
  });
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
