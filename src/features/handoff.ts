// Human handoff ("Hỏi cán bộ"): a citizen's question becomes a ticket for their commune, is forwarded to
// that commune's officer group (or its officers), an officer answers by replying to the forwarded message
// (or /traloi), the answer goes back on the citizen's own channel, /dong closes the ticket. A ticket left
// unanswered for HANDOFF_ESCALATE_AFTER_MINUTES of working time is escalated: to the commune's group team
// (cụm, liên xã) where the province keeps one, else to the province working group.
import { channelRegistry, type ChannelRegistry } from "../channels/registry.ts";
import { fill } from "../core/messages.ts";
import type { Feature } from "../core/feature.ts";
import type { Registrar } from "../core/router.ts";
import { addWorkingMinutes, parsePeriods } from "../core/time.ts";
import type { Button, ChannelName, DialogueState, Reply, RoleGrant, TurnContext } from "../core/types.ts";
import type { Messages } from "../core/messages.ts";
import type { Config } from "../config/env.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { OutboundMessage, Outbox } from "../core/ports.ts";
import { containsPII, redactPII } from "../privacy/redact.ts";
import type { QueueSet } from "../queue/queues.ts";
import { addJob, handoffQueue, startWorker } from "../queue/registry.ts";
import { sessionSlot } from "../core/session.ts";
import { z } from "zod";
import { audit } from "../security/audit.ts";
import { authorize } from "../security/policy.ts";
import { actorLabel, refusal } from "../core/helpers.ts";
import { groupTeamsFor } from "./unit-groups.ts";
import { findFormerDistricts, findUnits, formerDistrictText, successionNote, withNote } from "./units.ts";

export const HANDOFF_QUEUE = handoffQueue.name;
/** Button payload that starts a handoff; the FAQ and fallback offer it as "Hỏi cán bộ". */
export const ASK_OFFICER_PAYLOAD = "handoff:start";
export const askOfficerButton: Button = { label: "Hỏi cán bộ", payload: ASK_OFFICER_PAYLOAD };

const handoffSlot = sessionSlot(
  "handoff",
  z.object({
    step: z.enum(["unit", "question", "pii"]),
    unitCode: z.string().optional(),
    /** Always redacted: dialogue state is stored in the database and must hold no ID or phone number. */
    question: z.string().optional(),
  }),
);
type HandoffDraft = NonNullable<ReturnType<typeof handoffSlot.get>>;

/**
 * While the citizen chooses "send the numbers" or "hide them", the question with its numbers is kept only
 * in Redis, for a few minutes; the database's dialogue state keeps the redacted text.
 */
const RAW_QUESTION_TTL_SEC = 15 * 60;
const rawQuestionKey = (ctx: TurnContext) => `${ctx.services.queues!.prefix}:handoff:raw:${ctx.actor.identityId}`;

async function keepRawQuestion(ctx: TurnContext, text: string): Promise<void> {
  if (!ctx.services.queues) return;
  try {
    await ctx.services.queues.redis.set(rawQuestionKey(ctx), text, "EX", RAW_QUESTION_TTL_SEC);
  } catch (error) {
    ctx.log.warn({ err: error }, "handoff: could not keep the question with its numbers; only the redacted one can be sent");
  }
}

/** The question with its numbers, once (the key is deleted); undefined when expired or unavailable. */
async function takeRawQuestion(ctx: TurnContext): Promise<string | undefined> {
  if (!ctx.services.queues) return undefined;
  try {
    const key = rawQuestionKey(ctx);
    const [[, raw]] = (await ctx.services.queues.redis.multi().get(key).del(key).exec()) as [[unknown, string | null]];
    return raw ?? undefined;
  } catch {
    return undefined;
  }
}

const draftOf = (state: DialogueState) => handoffSlot.get(state);

async function setDraft(ctx: TurnContext, draft: HandoffDraft | undefined): Promise<void> {
  const state = await ctx.loadState();
  handoffSlot.set(state, draft);
  await ctx.saveState(state);
}

const cancelButton: Button = { label: "Hủy", payload: "handoff:cancel" };

/** The unit a citizen's questions go to: their subscription, if any. */
async function citizenUnit(prisma: PrismaClient, identityId: number) {
  const sub = await prisma.subscription.findUnique({ where: { identityId }, include: { unit: true } });
  return sub?.unit ?? null;
}

interface Recipient {
  channel: ChannelName;
  chatId: string;
}

/** Officer groups bound to the unit; else officers and supervisors holding a role on it directly (on a sendable channel). */
async function recipientsOf(prisma: PrismaClient, registry: ChannelRegistry, unitCode: string): Promise<Recipient[]> {
  const groups = await prisma.officerGroup.findMany({ where: { unitCode } });
  if (groups.length) return groups.map((g) => ({ channel: registry.fromEnum(g.channel), chatId: g.chatId }));
  const identities = await prisma.channelIdentity.findMany({
    where: {
      unreachableAt: null,
      channel: { in: registry.sendable.map((c) => registry.toEnum(c)) },
      person: { roles: { some: { unitCode, revokedAt: null, role: { in: ["OFFICER", "SUPERVISOR"] } } } },
    },
  });
  return identities.map((i) => ({ channel: registry.fromEnum(i.channel), chatId: i.chatId }));
}

/** The reachable accounts of these people on sendable channels. */
async function recipientsOfPeople(prisma: PrismaClient, registry: ChannelRegistry, personIds: number[]): Promise<Recipient[]> {
  const identities = await prisma.channelIdentity.findMany({
    where: { unreachableAt: null, personId: { in: personIds }, channel: { in: registry.sendable.map((c) => registry.toEnum(c)) } },
    orderBy: { id: "asc" },
  });
  return identities.map((i) => ({ channel: registry.fromEnum(i.channel), chatId: i.chatId }));
}

/** Walks up from the unit until someone can receive the question. */
async function nearestRecipients(prisma: PrismaClient, registry: ChannelRegistry, unitCode: string): Promise<{ unitCode: string; recipients: Recipient[] }> {
  let code: string | null = unitCode;
  while (code) {
    const recipients = await recipientsOf(prisma, registry, code);
    if (recipients.length) return { unitCode: code, recipients };
    code = (await prisma.adminUnit.findUnique({ where: { code }, select: { parentCode: true } }))?.parentCode ?? null;
  }
  return { unitCode, recipients: [] };
}

function forwardMessages(ticketId: number, recipients: Recipient[], text: string, kind: string): OutboundMessage[] {
  return recipients.map((r, i) => ({
    key: `${kind}-${ticketId}-${i}-${r.channel}`,
    channel: r.channel,
    chatId: r.chatId,
    replies: [{ text }],
    kind,
    ref: { ticketId },
  }));
}

export function escalationDelay(config: Config, from: Date): number {
  const schedule = { days: config.WORKING_DAYS.split(",").map(Number), periods: parsePeriods(config.WORKING_HOURS) };
  return addWorkingMinutes(from, config.HANDOFF_ESCALATE_AFTER_MINUTES, config.TZ, schedule).getTime() - from.getTime();
}

async function openTicket(ctx: TurnContext, unitCode: string, question: string): Promise<Reply[]> {
  const { prisma, messages: m, outbox, queues } = ctx.services;
  const unit = await prisma.adminUnit.findUniqueOrThrow({ where: { code: unitCode } });
  if (!outbox) return [{ text: m.handoffUnavailable }];
  const target = await nearestRecipients(prisma, ctx.services.registry, unitCode);
  if (target.recipients.length === 0) return [{ text: fill(m.handoffNoOfficer, { unit: unit.name }) }];
  const ticket = await prisma.handoffTicket.create({
    data: {
      citizenPersonId: ctx.actor.personId,
      citizenIdentityId: ctx.actor.identityId,
      unitCode,
      question,
      messages: { create: { direction: "IN", text: question, channel: ctx.services.registry.toEnum(ctx.message.channel), chatId: ctx.message.chatId } },
    },
  });
  ctx.log.info({ ticket: ticket.id, unit: unitCode, recipients: target.recipients.length }, "handoff: question forwarded");
  await outbox.enqueue(
    forwardMessages(ticket.id, target.recipients, fill(m.handoffForward, { id: ticket.id, unit: unit.name, question }), "handoff-forward"),
  );
  if (queues) await addJob(queues, handoffQueue, "escalate", { ticketId: ticket.id }, { jobId: `esc-${ticket.id}`, delay: escalationDelay(ctx.services.config, new Date()), removeOnComplete: 100, removeOnFail: 100 });
  return [{ text: fill(m.handoffSent, { id: ticket.id, unit: unit.name }) }];
}

async function askQuestion(ctx: TurnContext, unitCode: string, unitName: string): Promise<Reply[]> {
  await setDraft(ctx, { step: "question", unitCode });
  return [{ text: fill(ctx.services.messages.handoffAskQuestion, { unit: unitName }), buttons: [[cancelButton]] }];
}

async function start(ctx: TurnContext): Promise<Reply[]> {
  if (!ctx.services.outbox) return [{ text: ctx.services.messages.handoffUnavailable }];
  const unit = await citizenUnit(ctx.services.prisma, ctx.actor.identityId);
  if (unit) return askQuestion(ctx, unit.code, unit.name);
  await setDraft(ctx, { step: "unit" });
  return [{ text: ctx.services.messages.handoffAskUnit, buttons: [[cancelButton]] }];
}

async function receiveQuestion(ctx: TurnContext, draft: HandoffDraft, text: string): Promise<Reply[]> {
  if (containsPII(text)) {
    await keepRawQuestion(ctx, text);
    await setDraft(ctx, { ...draft, step: "pii", question: redactPII(text) });
    return [
      {
        text: fill(ctx.services.messages.handoffPiiConfirm, { redacted: redactPII(text) }),
        buttons: [[{ label: "Gửi kèm số", payload: "handoff:pii:keep" }, { label: "Ẩn số", payload: "handoff:pii:hide" }], [cancelButton]],
      },
    ];
  }
  await setDraft(ctx, undefined);
  return openTicket(ctx, draft.unitCode!, text);
}

/** What answering, closing and escalating a ticket need, in a turn or outside one (the staff console). */
export interface TicketServices {
  prisma: PrismaClient;
  outbox?: Outbox | undefined;
  registry: ChannelRegistry;
  messages: Messages;
  config: Pick<Config, "HANDOFF_ESCALATE_AFTER_MINUTES">;
}

/** The officer acting on a ticket: their roles decide; `channel`/`chatId` say where they wrote from, if a chat. */
export interface TicketActor {
  personId: number;
  roles: RoleGrant[];
  label: string;
  channel?: ChannelName | undefined;
  chatId?: string | undefined;
}

export type TicketResult = { ok: true } | { ok: false; reason: "not_found" | "refused" | "unavailable" | "not_open" };

/**
 * The ticket, when the actor may answer it. Ticket numbers are sequential, so the answers must not tell
 * which exist: someone who answers no questions anywhere (a citizen) is refused whatever the number, and an
 * officer hears "not found" alike for a missing ticket and for another unit's.
 */
async function ticketFor(s: TicketServices, actor: TicketActor, ticketId: number) {
  if (!(await authorize(s.prisma, actor, "handoff.answer")).allowed) return { ticket: null, reason: "refused" as const };
  const ticket = await s.prisma.handoffTicket.findUnique({ where: { id: ticketId }, include: { unit: true, citizen: true } });
  if (!ticket || !(await authorize(s.prisma, actor, "handoff.answer", ticket.unitCode)).allowed) {
    return { ticket: null, reason: "not_found" as const };
  }
  return { ticket, reason: null };
}

/** Sends an officer's answer to the citizen's own channel (through the outbox) and marks the ticket answered. */
export async function answerTicket(s: TicketServices, actor: TicketActor, ticketId: number, answer: string): Promise<TicketResult> {
  const { ticket, reason } = await ticketFor(s, actor, ticketId);
  if (!ticket) return { ok: false, reason };
  if (!s.outbox) return { ok: false, reason: "unavailable" };
  const citizen = await s.prisma.channelIdentity.findUniqueOrThrow({ where: { id: ticket.citizenIdentityId } });
  const reply = await s.prisma.handoffMessage.create({
    data: { ticketId, direction: "OUT", text: answer, channel: actor.channel ? s.registry.toEnum(actor.channel) : null, chatId: actor.chatId ?? null },
  });
  await s.outbox.enqueue([
    {
      key: `handoff-answer-${ticketId}-${reply.id}`,
      channel: s.registry.fromEnum(citizen.channel),
      chatId: citizen.chatId,
      replies: [{ text: fill(s.messages.handoffAnswer, { id: ticketId, unit: ticket.unit.name, answer }), buttons: [[askOfficerButton]] }],
      kind: "handoff-answer",
      ref: { ticketId },
    },
  ]);
  await s.prisma.handoffTicket.update({
    where: { id: ticketId },
    data: { status: ticket.status === "CLOSED" ? "CLOSED" : "ANSWERED", answeredAt: ticket.answeredAt ?? new Date(), officerPersonId: actor.personId },
  });
  await audit(s.prisma, { actorPersonId: actor.personId, actorLabel: actor.label, action: "handoff.answer", unitCode: ticket.unitCode, detail: { ticketId } });
  return { ok: true };
}

/** Closes a ticket and tells the citizen. */
export async function closeTicket(s: TicketServices, actor: TicketActor, ticketId: number): Promise<TicketResult> {
  const { ticket, reason } = await ticketFor(s, actor, ticketId);
  if (!ticket) return { ok: false, reason };
  await s.prisma.handoffTicket.update({ where: { id: ticketId }, data: { status: "CLOSED", closedAt: new Date() } });
  await audit(s.prisma, { actorPersonId: actor.personId, actorLabel: actor.label, action: "handoff.close", unitCode: ticket.unitCode, detail: { ticketId } });
  const citizen = await s.prisma.channelIdentity.findUniqueOrThrow({ where: { id: ticket.citizenIdentityId } });
  await s.outbox?.enqueue([
    {
      key: `handoff-closed-${ticketId}`,
      channel: s.registry.fromEnum(citizen.channel),
      chatId: citizen.chatId,
      replies: [{ text: fill(s.messages.handoffClosedCitizen, { id: ticketId }), buttons: [[askOfficerButton]] }],
      kind: "handoff-closed",
    },
  ]);
  return { ok: true };
}

/**
 * Sends an open ticket up: to the commune's group team (cụm, liên xã) when it has leads, else to the nearest
 * unit above with someone to receive it. Run by the escalation job when the working hours are up, or by an
 * officer who cannot answer (`by`); returns false when there is nothing to do.
 */
export async function escalateTicket(s: TicketServices & { outbox: Outbox }, ticketId: number, by?: TicketActor): Promise<TicketResult> {
  const { prisma, registry, outbox, messages: m } = s;
  if (by && !(await authorize(prisma, by, "handoff.answer")).allowed) return { ok: false, reason: "refused" };
  const ticket = await prisma.handoffTicket.findUnique({ where: { id: ticketId }, include: { unit: true } });
  if (!ticket) return { ok: false, reason: "not_found" };
  // Like ticketFor: another unit's ticket is "not found" to an officer.
  if (by && !(await authorize(prisma, by, "handoff.answer", ticket.unitCode)).allowed) return { ok: false, reason: "not_found" };
  if (ticket.status !== "OPEN") return { ok: false, reason: "not_open" };
  const team = (await groupTeamsFor(prisma, [ticket.unit])).get(ticket.unitCode);
  const teamRecipients = team?.leads.length ? await recipientsOfPeople(prisma, registry, team.leads) : [];
  if (!teamRecipients.length && !ticket.unit.parentCode) return { ok: false, reason: "not_open" };
  const target = teamRecipients.length
    ? { unitCode: ticket.unitCode, recipients: teamRecipients }
    : await nearestRecipients(prisma, registry, ticket.unit.parentCode!);
  // Only one escalation wins (the job and an officer's button may race).
  const { count } = await prisma.handoffTicket.updateMany({ where: { id: ticket.id, status: "OPEN" }, data: { status: "ESCALATED", escalatedAt: new Date() } });
  if (count !== 1) return { ok: false, reason: "not_open" };
  if (target.recipients.length) {
    const text = fill(m.handoffEscalated, {
      id: ticket.id,
      unit: ticket.unit.name,
      hours: Math.round((s.config.HANDOFF_ESCALATE_AFTER_MINUTES / 60) * 10) / 10,
      question: ticket.question,
    });
    await outbox.enqueue(forwardMessages(ticket.id, target.recipients, text, "handoff-forward").map((msg) => ({ ...msg, key: `esc-${msg.key}` })));
  }
  await audit(prisma, {
    actorPersonId: by?.personId ?? null,
    actorLabel: by?.label ?? "system",
    action: "handoff.escalate",
    unitCode: target.unitCode,
    detail: { ticketId: ticket.id, ...(by ? { manual: true } : {}) },
  });
  return { ok: true };
}

const turnActor = (ctx: TurnContext): TicketActor => ({
  personId: ctx.actor.personId,
  roles: ctx.actor.roles,
  label: actorLabel(ctx),
  channel: ctx.message.channel,
  chatId: ctx.message.chatId,
});

async function relayAnswer(ctx: TurnContext, ticketId: number, answer: string): Promise<Reply[]> {
  const m = ctx.services.messages;
  const result = await answerTicket(ctx.services, turnActor(ctx), ticketId, answer);
  if (result.ok) return [{ text: fill(m.handoffAnswerSent, { id: ticketId }) }];
  if (result.reason === "not_found") return [{ text: fill(m.handoffNotFound, { id: ticketId }) }];
  if (result.reason === "refused") return refusal(ctx);
  return [{ text: m.handoffUnavailable }];
}

export function registerHandoff(router: Registrar): void {
  router.payload({
    prefix: "handoff",
    async run(ctx, value) {
      const m = ctx.services.messages;
      if (value === "start") return start(ctx);
      if (value === "cancel") {
        await takeRawQuestion(ctx);
        await setDraft(ctx, undefined);
        return [{ text: m.handoffCancelled }];
      }
      const draft = draftOf(await ctx.loadState());
      if (value.startsWith("unit:") && draft) {
        const unit = await ctx.services.prisma.adminUnit.findUnique({ where: { code: value.slice(5) } });
        if (unit) return askQuestion(ctx, unit.code, unit.name);
      }
      if (value.startsWith("pii:") && draft?.step === "pii" && draft.question) {
        await setDraft(ctx, undefined);
        const raw = await takeRawQuestion(ctx);
        // draft.question is redacted already (older drafts may not be: redact again).
        return openTicket(ctx, draft.unitCode!, value === "pii:keep" && raw ? raw : redactPII(draft.question));
      }
      return start(ctx);
    },
  });

  router.command({
    name: "hoicanbo",
    description: "Gửi câu hỏi cho cán bộ xã, phường",
    listedFor: "everyone",
    run: async (ctx, args) => {
      if (!args) return start(ctx);
      const unit = await citizenUnit(ctx.services.prisma, ctx.actor.identityId);
      if (!unit) {
        await setDraft(ctx, { step: "unit" });
        return [{ text: ctx.services.messages.handoffAskUnit, buttons: [[cancelButton]] }];
      }
      return receiveQuestion(ctx, { step: "question", unitCode: unit.code }, args);
    },
  });

  // A citizen in the middle of a handoff: their next text is the commune or the question.
  router.intercept({
    name: "handoff-draft",
    async run(ctx) {
      if (!ctx.text || ctx.message.payload || ctx.text.startsWith("/")) return null;
      const draft = draftOf(await ctx.loadState());
      if (!draft) return null;
      const m = ctx.services.messages;
      if (draft.step === "unit") {
        const units = (await findUnits(ctx.services.prisma, ctx.text)).filter((u) => u.level === "COMMUNE" || u.level === "VILLAGE");
        const note = await successionNote(ctx.services.prisma, units);
        if (units.length === 1) return withNote(note, await askQuestion(ctx, units[0]!.code, units[0]!.name));
        if (units.length > 1) {
          return withNote(note, [{ text: m.handoffUnitChoices, buttons: [...units.slice(0, 6).map((u) => [{ label: u.name, payload: `handoff:unit:${u.code}` }]), [cancelButton]] }]);
        }
        // "huyện Lệ Thủy": districts are gone; list the communes that took its communes.
        const [district] = await findFormerDistricts(ctx.services.prisma, ctx.text);
        if (district?.communes.length) {
          const text = await formerDistrictText(ctx.services.prisma, m.districtGone, district);
          return [{ text, buttons: [...district.communes.slice(0, 6).map((u) => [{ label: u.name, payload: `handoff:unit:${u.code}` }]), [cancelButton]] }];
        }
        return [{ text: fill(m.handoffUnitUnknown, { query: ctx.text }), buttons: [[cancelButton]] }];
      }
      if (draft.step === "question") return receiveQuestion(ctx, draft, ctx.text);
      return null;
    },
  });

  // An officer replying to a forwarded question.
  router.intercept({
    name: "handoff-reply",
    async run(ctx) {
      if (!ctx.message.replyToRef || !ctx.text || ctx.text.startsWith("/")) return null;
      const forwarded = await ctx.services.prisma.handoffMessage.findFirst({
        where: { channel: ctx.services.registry.toEnum(ctx.message.channel), chatId: ctx.message.chatId, forwardRef: ctx.message.replyToRef },
      });
      if (!forwarded) return null;
      return relayAnswer(ctx, forwarded.ticketId, ctx.text);
    },
  });

  router.command({
    name: "traloi",
    description: "Trả lời câu hỏi của người dân",
    listedFor: "staff",
    run: async (ctx, args) => {
      const match = /^#?(\d+)\s+([\s\S]+)$/.exec(args);
      if (!match) {
        return (await authorize(ctx.services.prisma, ctx.actor, "handoff.answer")).allowed
          ? [{ text: ctx.services.messages.handoffAnswerUsage }]
          : refusal(ctx);
      }
      return relayAnswer(ctx, Number(match[1]), match[2]!.trim());
    },
  });

  router.command({
    name: "dong",
    description: "Đóng câu hỏi của người dân",
    listedFor: "staff",
    run: async (ctx, args) => {
      const m = ctx.services.messages;
      const id = Number(/^#?(\d+)/.exec(args)?.[1]);
      if (!id) return (await authorize(ctx.services.prisma, ctx.actor, "handoff.answer")).allowed ? [{ text: m.handoffAnswerUsage }] : refusal(ctx);
      const result = await closeTicket(ctx.services, turnActor(ctx), id);
      if (!result.ok && result.reason === "not_found") return [{ text: fill(m.handoffNotFound, { id }) }];
      if (!result.ok) return refusal(ctx);
      return [{ text: fill(m.handoffClosed, { id }) }];
    },
  });

  router.command({
    name: "nhomcanbo",
    description: "Cho nhóm chat này nhận câu hỏi của người dân",
    listedFor: "staff",
    run: async (ctx, args) => {
      const m = ctx.services.messages;
      const grant = ctx.actor.roles.find((r) => r.role !== "ADMIN") ?? ctx.actor.roles[0];
      if (!grant) return refusal(ctx);
      const [unit] = args ? await findUnits(ctx.services.prisma, args) : [{ code: grant.unitCode, name: "" }];
      if (!unit) return [{ text: fill(m.unitNotFound, { query: args }) }];
      if (!(await authorize(ctx.services.prisma, ctx.actor, "handoff.answer", unit.code)).allowed) return refusal(ctx);
      // Private chats are already reached through the officer's own identity.
      if (!ctx.message.isGroup) return [{ text: m.handoffGroupUsage }];
      const bound = await ctx.services.prisma.officerGroup.upsert({
        where: { channel_chatId: { channel: ctx.services.registry.toEnum(ctx.message.channel), chatId: ctx.message.chatId } },
        create: { channel: ctx.services.registry.toEnum(ctx.message.channel), chatId: ctx.message.chatId, unitCode: unit.code, createdBy: actorLabel(ctx) },
        update: { unitCode: unit.code },
        include: { unit: true },
      });
      await audit(ctx.services.prisma, { actorPersonId: ctx.actor.personId, actorLabel: actorLabel(ctx), action: "handoff.group_bind", unitCode: unit.code });
      return [{ text: fill(m.handoffGroupBound, { unit: bound.unit.name }) }];
    },
  });
}

/** Records where forwarded copies landed (so replies find their ticket) and runs escalations. */
export function startHandoff(deps: {
  queues: QueueSet;
  prisma: PrismaClient;
  outbox: Outbox;
  config: Config;
  log: Logger;
  messages: TurnContext["services"]["messages"];
  /** The channels there are (default: the app's registry). */
  registry?: ChannelRegistry;
}): void {
  const { prisma, outbox, messages: m } = deps;
  const registry = deps.registry ?? channelRegistry;
  outbox.onOutcome("handoff-forward", async (message, outcome) => {
    if (outcome.status !== "sent" || !outcome.messageRef) return;
    const ticketId = Number(message.ref?.ticketId);
    const exists = await prisma.handoffMessage.findFirst({
      where: { ticketId, channel: registry.toEnum(message.channel), chatId: message.chatId, forwardRef: outcome.messageRef },
    });
    if (!exists) {
      await prisma.handoffMessage.create({
        data: { ticketId, direction: "OUT", text: "[chuyển tiếp]", channel: registry.toEnum(message.channel), chatId: message.chatId, forwardRef: outcome.messageRef },
      });
    }
  });
  const escalate = async ({ ticketId }: { ticketId: number }) => {
    const result = await escalateTicket({ prisma, outbox, registry, messages: m, config: deps.config }, ticketId);
    if (!result.ok) return "nothing-to-do";
    return "escalated";
  };
  startWorker(deps.queues, handoffQueue, { escalate });
}

/** "Hỏi cán bộ": the handoff dialogue, officers' replies and /traloi, /dong…; the escalation queue. */
export const handoffFeature: Feature = {
  name: "handoff",
  register: (router) => registerHandoff(router),
  queues: [HANDOFF_QUEUE],
  start({ services }) {
    const { queues, prisma, outbox, config, log, messages, registry } = services;
    startHandoff({ queues, prisma, outbox, config, log, messages, registry });
  },
};
