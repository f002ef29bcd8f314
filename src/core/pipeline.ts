// One incoming message in, replies out: identity → rate limit → conversation log → conversation
// (offered choices, form of address) → router. `handle` never throws: whatever goes wrong, the user
// gets a polite answer and the process lives on. The dialogue state (session) is read at most once per
// turn and written once at its end, when something changed.
import { addressSlot, type ConversationLexicon, detectAddress, offeredSlot, repliesSpeakingTo } from "./conversation.ts";
import { parseDialogueState } from "./session.ts";
import { redactPII } from "../privacy/redact.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import { resolveActor } from "./identity.ts";
import { inTurn, turnLogFields } from "../logging/turn.ts";
import { fill } from "./messages.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { Admission } from "./admission.ts";
import type { Router } from "./router.ts";
import type {
  Actor,
  CoreServices,
  DialogueState,
  IncomingMessage,
  Middleware,
  Reply,
  TurnContext,
  TurnOutcome,
  TurnResult,
} from "./types.ts";

const noOutcome: TurnOutcome = { intentId: null, confidence: 0, fallback: true, suggestions: [] };

export interface PipelineOptions {
  services: CoreServices;
  router: Router;
  rateLimiter: RateLimiter;
  /** Extra middleware, run after the built-in ones and before the router. */
  middleware?: Middleware[];
  /** Typed choices and forms of address (content/conversation.yaml); without it, neither. */
  conversation?: ConversationLexicon;
  /** Turns running at once; more wait their turn in arrival order (default: TURN_CONCURRENCY). */
  concurrency?: number;
}

/**
 * After the turn: remembers the buttons offered (for typed choices) and the person's form of address
 * ("cho bác hỏi" → replies say "Bác"), and speaks to them so.
 */
const conversation =
  (lexicon: ConversationLexicon): Middleware =>
  async (ctx, next) => {
    const detected = ctx.text ? detectAddress(ctx.text, lexicon) : null;
    const replies = await next();
    if (ctx.doNotLog) return replies; // e.g. the erase request: nothing of this turn is kept
    const state = await ctx.loadState();
    const before = JSON.stringify([state.offered ?? null, state.address ?? null]);
    const buttons = replies.flatMap((r) => (r.buttons ?? []).flat()).map((b) => ({ label: b.label, payload: b.payload }));
    offeredSlot.set(state, buttons.length ? { buttons, at: ctx.message.receivedAt.getTime() } : undefined);
    if (detected) addressSlot.set(state, detected);
    if (JSON.stringify([state.offered ?? null, state.address ?? null]) !== before) await ctx.saveState(state);
    // Citizens only: staff replies quote texts people wrote (announcement previews, forwarded questions),
    // which must be shown exactly as written.
    const citizen = ctx.actor.roles.length === 0;
    return citizen ? repliesSpeakingTo(replies, addressSlot.get(state) ?? null) : replies;
  };

/** Cuts input to the configured maximum and strips control characters that confuse matching. */
export function sanitizeText(raw: string | undefined, maxChars: number): string {
  if (!raw) return "";
  // Cut first (by code points), so a huge message costs nothing further down.
  const cut = Array.from(raw.slice(0, maxChars * 2)).slice(0, maxChars).join("");
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200F\u2028\u2029\uFEFF]/g, " ").trim();
}

const rateLimit =
  (limiter: RateLimiter): Middleware =>
  async (ctx, next) => {
    // The CLI is the operator's own tool (one-off questions, batches of test questions): only the
    // channels the registry marks public, where strangers write, are limited per user.
    const { registry } = ctx.services;
    if (registry.has(ctx.message.channel) && !registry.get(ctx.message.channel).capabilities.public) return next();
    let decision;
    try {
      decision = await limiter.hit(`${ctx.message.channel}:${ctx.message.userId}`);
    } catch (error) {
      // Redis briefly away: answering matters more than counting.
      ctx.log.warn({ err: error }, "rate limiter unavailable, letting the message through");
      return next();
    }
    if (decision.allowed) return next();
    ctx.log.info({ channel: ctx.message.channel }, "rate limited");
    return [{ text: fill(ctx.services.messages.rateLimited, { seconds: decision.retryAfterSec }) }];
  };

/** Stores both sides of the conversation, redacted, for the retention period. */
const conversationLog: Middleware = async (ctx, next) => {
  const replies = await next();
  if (ctx.doNotLog) return replies;
  const { prisma } = ctx.services;
  const incoming = ctx.text || (ctx.message.payload ? `[nút] ${ctx.message.payload}` : "");
  try {
    await prisma.conversationMessage.createMany({
      data: [
        {
          personId: ctx.actor.personId,
          identityId: ctx.actor.identityId,
          direction: "IN",
          text: redactPII(incoming),
          intentId: ctx.outcome?.intentId ?? null,
          confidence: ctx.outcome?.confidence ?? null,
        },
        ...replies.map((r) => ({
          personId: ctx.actor.personId,
          identityId: ctx.actor.identityId,
          direction: "OUT" as const,
          text: redactPII(r.text),
        })),
      ],
    });
  } catch (error) {
    // The database went away during the turn: the whole turn is for later (see Pipeline.turn).
    if (isDatabaseUnavailable(error)) throw error;
    // Losing a log line must not cost the user their answer.
    ctx.log.error({ err: error }, "could not store conversation");
  }
  return replies;
};

export class Pipeline {
  private readonly chain: Middleware[];
  private readonly admission: Admission;

  constructor(private readonly options: PipelineOptions) {
    this.admission = new Admission(options.concurrency ?? options.services.config.TURN_CONCURRENCY);
    this.chain = [
      rateLimit(options.rateLimiter),
      conversationLog,
      ...(options.conversation ? [conversation(options.conversation)] : []),
      ...(options.middleware ?? []),
    ];
  }

  get router(): Router {
    return this.options.router;
  }

  async handle(message: IncomingMessage): Promise<TurnResult> {
    const { services } = this.options;
    const started = performance.now();
    const fields = turnLogFields(message.channel, message.userId);
    const log = services.log.child(fields);
    // The reply time logged (ms) includes the wait for a place.
    return this.admission.run(() => inTurn(fields, () => this.turn(message, log, started)));
  }

  private async turn(message: IncomingMessage, log: TurnContext["log"], started: number): Promise<TurnResult> {
    const { services } = this.options;
    try {
      const actor = await resolveActor(services.prisma, message, services.registry);
      const { ctx, flush } = this.context(message, actor, log);
      const replies = await this.run(ctx, 0);
      await flush();
      log.info(
        {
          person: actor.personId,
          intent: ctx.outcome?.intentId,
          confidence: ctx.outcome?.confidence,
          ms: Math.round(performance.now() - started),
        },
        "turn",
      );
      return { replies, outcome: ctx.outcome ?? { ...noOutcome, fallback: false, confidence: 1 } };
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        // Not a bug: the channel may ask the platform to deliver the message again later.
        log.warn({ err: error instanceof Error ? error.message : String(error) }, "turn failed: database unavailable");
        return { replies: [{ text: services.messages.error }], outcome: noOutcome, unavailable: "database" };
      }
      log.error({ err: error }, "turn failed");
      return { replies: [{ text: services.messages.error }], outcome: noOutcome };
    }
  }

  private run(ctx: TurnContext, index: number): Promise<Reply[]> {
    const middleware = this.chain[index];
    if (!middleware) return this.options.router.route(ctx);
    return middleware(ctx, () => this.run(ctx, index + 1));
  }

  /**
   * The turn's context. Its session is read from the database on first use and kept for the turn;
   * `saveState` only records the new state, and `flush` writes it once, at the end of the turn. Each
   * load returns a copy, so a feature that changes the object without saving changes nothing.
   */
  private context(message: IncomingMessage, actor: Actor, log: TurnContext["log"]): { ctx: TurnContext; flush(): Promise<void> } {
    const { services } = this.options;
    const { prisma } = services;
    let session: DialogueState | undefined;
    let dirty = false;
    const ctx: TurnContext = {
      message,
      text: sanitizeText(message.text, services.config.MAX_MESSAGE_CHARS),
      actor,
      services,
      log,
      async loadState() {
        if (!session) {
          const row = await prisma.conversationState.findUnique({ where: { identityId: actor.identityId } });
          session = parseDialogueState(row?.state);
        }
        return structuredClone(session);
      },
      async saveState(state: DialogueState) {
        session = structuredClone(state);
        dirty = true;
      },
    };
    const flush = async () => {
      // An erased person's session stays erased (the erase request sets doNotLog).
      if (!dirty || !session || ctx.doNotLog) return;
      await prisma.conversationState.upsert({
        where: { identityId: actor.identityId },
        create: { identityId: actor.identityId, state: session as object },
        update: { state: session as object },
      });
    };
    return { ctx, flush };
  }
}
