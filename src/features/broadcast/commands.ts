// /thongbao: a supervisor's guided announcement, kept in the dialogue state between turns.
//   /thongbao                 → "type the text" → preview with buttons (audience, channels, unit, time,
//                               photo link, edit) → "Gửi" → queued; the summary comes when it is done.
//   /thongbao <text>          → straight to the preview.
//   /thongbao hen 20/12 08:00 → schedule (the draft in progress, or a new one).
//   /thongbao trangthai <số>  → progress;  /thongbao huy <số> → cancel;  /thongbao danhsach → recent ones.
// Permission: authorize(…, "broadcast.send", unit) — supervisors and admins, inside their own subtree.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { fill } from "../../core/messages.ts";
import { sessionSlot } from "../../core/session.ts";
import type { Registrar } from "../../core/router.ts";
import { foldDiacritics } from "../../core/text.ts";
import type { Button, DialogueState, Reply, TurnContext } from "../../core/types.ts";
import { authorize, unitPaths } from "../../security/policy.ts";
import { actorLabel, formatVietnamTime, refusal } from "../../core/helpers.ts";
import { findUnits, successionNote, withNote } from "../units.ts";
import type { Audience, SendChannel } from "./audience.ts";
import { formatCount, formatDuration, MAX_SCHEDULE_DAYS, parseScheduleTime } from "./schedule.ts";
import {
  broadcastProgress,
  cancelBroadcast,
  configRates,
  createBroadcast,
  estimateSeconds,
  MAX_TEXT_CHARS,
  previewAudience,
  renderAnnouncement,
  type Progress,
} from "./service.ts";

export const BROADCAST_PAYLOAD = "tb";
const DRAFT_TTL_MS = 24 * 3600_000;

const draftSlot = sessionSlot(
  "broadcastDraft",
  z.object({
    id: z.string(),
    /** Bumped on every change: only the latest preview's "Gửi" sends. */
    v: z.number().int(),
    step: z.enum(["text", "options", "unit", "photo", "time"]),
    text: z.string().optional(),
    photoUrl: z.string().optional(),
    unitCode: z.string(),
    audience: z.enum(["CITIZENS", "OFFICERS", "BOTH"]) satisfies z.ZodType<Audience>,
    /** Empty: every channel. Names the registry does not have are dropped on load (loadDraft). */
    channels: z.array(z.custom<SendChannel>((v) => typeof v === "string")),
    /** ISO instant. */
    scheduledAt: z.string().optional(),
    createdAt: z.number(),
  }),
);
type Draft = NonNullable<ReturnType<typeof draftSlot.get>>;

export const audienceLabels: Record<Audience, string> = {
  CITIZENS: "người dân đã đăng ký nhận thông báo",
  OFFICERS: "cán bộ",
  BOTH: "người dân đã đăng ký và cán bộ",
};
const statusLabels: Record<string, string> = {
  DRAFT: "đang soạn",
  SCHEDULED: "đã hẹn giờ",
  RUNNING: "đang gửi",
  DONE: "đã gửi xong",
  CANCELLED: "đã dừng",
};
const audienceCodes: Record<string, Audience> = { C: "CITIZENS", O: "OFFICERS", B: "BOTH" };

async function loadDraft(ctx: TurnContext): Promise<{ state: DialogueState; draft: Draft | undefined }> {
  const state = await ctx.loadState();
  const stored = draftSlot.get(state);
  const draft = stored && { ...stored, channels: stored.channels.filter((c) => ctx.services.registry.has(c)) };
  if (draft && Date.now() - draft.createdAt > DRAFT_TTL_MS) return { state, draft: undefined };
  return { state, draft };
}

async function saveDraft(ctx: TurnContext, draft: Draft | undefined): Promise<void> {
  const state = await ctx.loadState();
  draftSlot.set(state, draft);
  await ctx.saveState(state);
}

/** The actor's highest unit where they may broadcast, or null. */
async function homeUnit(ctx: TurnContext): Promise<string | null> {
  const decision = await authorize(ctx.services.prisma, ctx.actor, "broadcast.send");
  return decision.via?.unitCode ?? null;
}

const mayBroadcastTo = async (ctx: TurnContext, unitCode: string) =>
  (await authorize(ctx.services.prisma, ctx.actor, "broadcast.send", unitCode)).allowed;

const cancelDraftButton = (draft: Draft): Button => ({ label: "❌ Bỏ thông báo", payload: `${BROADCAST_PAYLOAD}:x:${draft.id}` });

function newDraft(unitCode: string): Draft {
  return { id: randomBytes(3).toString("hex"), v: 0, step: "text", unitCode, audience: "CITIZENS", channels: [], createdAt: Date.now() };
}

function askText(ctx: TurnContext, draft: Draft): Reply[] {
  return [{ text: fill(ctx.services.messages.broadcastAskText, { max: formatCount(maxChars(ctx)) }), buttons: [[cancelDraftButton(draft)]] }];
}

const maxChars = (ctx: TurnContext) => Math.min(MAX_TEXT_CHARS, ctx.services.config.MAX_MESSAGE_CHARS);

/** Saves the draft (one version further) and shows exactly what will be sent, to whom, when. */
async function showPreview(ctx: TurnContext, draft: Draft, notice?: string): Promise<Reply[]> {
  const { prisma, messages: m, config, registry } = ctx.services;
  const unit = await prisma.adminUnit.findUniqueOrThrow({ where: { code: draft.unitCode } });
  const next: Draft = { ...draft, step: "options", v: draft.v + 1 };
  await saveDraft(ctx, next);
  const preview = await previewAudience(prisma, ctx.services.outbox, { unitPath: unit.path, audience: next.audience, channels: next.channels }, registry);
  const message = renderAnnouncement(m, { text: next.text ?? "", photoUrl: next.photoUrl, unitName: unit.name }, next.audience !== "OFFICERS")[0]!.text;
  const chosen = next.channels.length ? next.channels : registry.sendable;
  const label = (c: SendChannel) => registry.label(c);
  const breakdown = chosen.map((c) => `${label(c)} ${formatCount(preview.byChannel[c] ?? 0)}`).join(" · ");
  const off = chosen.filter((c) => (preview.unavailable[c] ?? 0) > 0);
  const when = next.scheduledAt ? formatVietnamTime(new Date(next.scheduledAt), config.TZ) : "ngay khi bạn bấm Gửi";
  let text = fill(m.broadcastPreview, {
    message,
    unit: unit.name,
    audience: audienceLabels[next.audience],
    channels: chosen.map(label).join(", "),
    count: formatCount(preview.total),
    breakdown: `(${breakdown})`,
    when,
    eta: formatDuration(estimateSeconds(preview.byChannel, configRates(config, registry))),
  });
  if (off.length) {
    text += `\n${fill(m.broadcastChannelOff, { channels: off.map(label).join(", "), count: formatCount(off.reduce((n, c) => n + (preview.unavailable[c] ?? 0), 0)) })}`;
  }
  if (preview.total === 0) text += `\n\n${m.broadcastNoRecipients}`;
  if (notice) text = `${notice}\n\n${text}`;
  const p = (action: string, arg?: string) => `${BROADCAST_PAYLOAD}:${action}:${next.id}${arg ? `:${arg}` : ""}`;
  const mark = (on: boolean, label: string) => (on ? `✓ ${label}` : label);
  const buttons: Button[][] = [
    [
      ...(preview.total > 0
        ? [{ label: next.scheduledAt ? `✅ Hẹn gửi (${formatCount(preview.total)} người)` : `✅ Gửi (${formatCount(preview.total)} người)`, payload: `${BROADCAST_PAYLOAD}:ok:${next.id}.${next.v}` }]
        : []),
      cancelDraftButton(next),
    ],
    [
      { label: mark(next.audience === "CITIZENS", "Người dân"), payload: p("a", "C") },
      { label: mark(next.audience === "OFFICERS", "Cán bộ"), payload: p("a", "O") },
      { label: mark(next.audience === "BOTH", "Cả hai"), payload: p("a", "B") },
    ],
    [
      { label: mark(next.channels.length === 0, "Mọi kênh"), payload: p("c", "all") },
      ...registry.sendable.map((c) => ({ label: mark(next.channels.length === 1 && next.channels[0] === c, `Chỉ ${label(c)}`), payload: p("c", c) })),
    ],
    [
      { label: "🏢 Đổi đơn vị", payload: p("u") },
      next.scheduledAt ? { label: "⚡ Gửi ngay", payload: p("now") } : { label: "⏰ Hẹn giờ", payload: p("t") },
    ],
    [
      next.photoUrl ? { label: "🖼 Bỏ ảnh", payload: p("np") } : { label: "🖼 Thêm ảnh", payload: p("ph") },
      { label: "✏️ Sửa nội dung", payload: p("e") },
    ],
  ];
  return [{ text, buttons }];
}

/** `typed`: the announcement as received (the pipeline cuts messages at MAX_MESSAGE_CHARS: a cut one is refused). */
async function setText(ctx: TurnContext, draft: Draft, text: string, typed: string): Promise<Reply[]> {
  const m = ctx.services.messages;
  if (typed.length > maxChars(ctx) || text.length > maxChars(ctx)) {
    return [{ text: fill(m.broadcastTextTooLong, { length: formatCount(typed.length), max: formatCount(maxChars(ctx)) }), buttons: [[cancelDraftButton(draft)]] }];
  }
  if (!text) return askText(ctx, draft);
  return showPreview(ctx, { ...draft, text });
}

async function setSchedule(ctx: TurnContext, draft: Draft, input: string): Promise<Reply[]> {
  const m = ctx.services.messages;
  const tz = ctx.services.config.TZ;
  const parsed = parseScheduleTime(input, tz);
  if (!parsed.ok) {
    await saveDraft(ctx, { ...draft, step: "time" });
    const text =
      parsed.reason === "past"
        ? fill(m.broadcastTimePast, { input: input.slice(0, 40) })
        : parsed.reason === "too_far"
          ? fill(m.broadcastTimeTooFar, { days: MAX_SCHEDULE_DAYS })
          : fill(m.broadcastTimeInvalid, { input: input.slice(0, 40) });
    return [{ text, buttons: [[cancelDraftButton(draft)]] }];
  }
  const next = { ...draft, scheduledAt: parsed.at.toISOString() };
  if (!next.text) {
    await saveDraft(ctx, { ...next, step: "text" });
    return [{ text: fill(m.broadcastScheduleNoted, { time: formatVietnamTime(parsed.at, tz) }) }, ...askText(ctx, next)];
  }
  return showPreview(ctx, next);
}

async function chooseUnit(ctx: TurnContext, draft: Draft, query: string): Promise<Reply[]> {
  const m = ctx.services.messages;
  const found = await findUnits(ctx.services.prisma, query);
  const allowed = [];
  for (const unit of found) if (await mayBroadcastTo(ctx, unit.code)) allowed.push(unit);
  const note = await successionNote(ctx.services.prisma, allowed);
  if (allowed.length === 1) return withNote(note, await showPreview(ctx, { ...draft, unitCode: allowed[0]!.code }));
  if (allowed.length > 1) {
    return withNote(note, [
      {
        text: fill(m.broadcastUnitChoose, { query }),
        buttons: [...allowed.slice(0, 8).map((u) => [{ label: `${u.name} (${u.code})`, payload: `${BROADCAST_PAYLOAD}:un:${draft.id}:${u.code}` }]), [cancelDraftButton(draft)]],
      },
    ]);
  }
  return [{ text: fill(m.broadcastUnitNotFound, { query: query.slice(0, 60) }), buttons: [[cancelDraftButton(draft)]] }];
}

async function confirm(ctx: TurnContext, draft: Draft): Promise<Reply[]> {
  const { prisma, messages: m, queues, outbox, config, registry } = ctx.services;
  if (!queues || !outbox) return [{ text: m.broadcastUnavailable }];
  if (!(await mayBroadcastTo(ctx, draft.unitCode))) return refusal(ctx);
  if (draft.scheduledAt && new Date(draft.scheduledAt).getTime() <= Date.now() + 30_000) {
    return showPreview(ctx, { ...draft, scheduledAt: undefined }, fill(m.broadcastTimePast, { input: formatVietnamTime(new Date(draft.scheduledAt), config.TZ) }));
  }
  const result = await createBroadcast(
    { prisma, queues, outbox, registry },
    {
      unitCode: draft.unitCode,
      audience: draft.audience,
      channels: draft.channels,
      text: draft.text ?? "",
      photoUrl: draft.photoUrl,
      scheduledAt: draft.scheduledAt ? new Date(draft.scheduledAt) : undefined,
      clientKey: `chat-${ctx.actor.identityId}-${draft.id}`,
      by: { personId: ctx.actor.personId, label: actorLabel(ctx) },
    },
  );
  await saveDraft(ctx, undefined);
  if (!result.ok) return [{ text: fill(m.unitNotFound, { query: draft.unitCode }) }];
  const b = result.broadcast;
  const values = {
    id: b.id,
    count: formatCount(result.preview.total),
    eta: formatDuration(estimateSeconds(result.preview.byChannel, configRates(config, registry))),
    time: b.scheduledAt ? formatVietnamTime(b.scheduledAt, config.TZ) : "",
  };
  return [{ text: fill(b.status === "SCHEDULED" ? m.broadcastScheduled : m.broadcastStarted, values), buttons: [broadcastButtons(b.id, true)] }];
}

function broadcastButtons(id: number, live: boolean): Button[] {
  return [
    { label: "🔄 Tiến độ", payload: `${BROADCAST_PAYLOAD}:st:${id}` },
    ...(live ? [{ label: "⛔ Dừng", payload: `${BROADCAST_PAYLOAD}:stop:${id}` }] : []),
  ];
}

export function formatProgress(ctx: TurnContext, p: Progress): string {
  const { messages: m, config } = ctx.services;
  const tz = config.TZ;
  let timing: string;
  if (p.status === "SCHEDULED" && p.scheduledAt) timing = fill(m.broadcastTimingScheduled, { time: formatVietnamTime(p.scheduledAt, tz) });
  else if (p.status === "RUNNING") timing = fill(m.broadcastTimingRunning, { eta: formatDuration(p.etaSeconds ?? 0) });
  else if (p.finishedAt) timing = fill(m.broadcastTimingFinished, { time: formatVietnamTime(p.finishedAt, tz) });
  else timing = "";
  return fill(m.broadcastStatus, {
    id: p.id,
    unit: p.unitName,
    audience: audienceLabels[p.audience],
    status: statusLabels[p.status] ?? p.status,
    recipients: formatCount(p.recipients),
    sent: formatCount(p.counts.sent),
    pending: formatCount(p.counts.pending),
    unreachable: formatCount(p.counts.unreachable),
    failed: formatCount(p.counts.failed),
    uncertain: formatCount(p.counts.uncertain),
    cancelled: formatCount(p.counts.cancelled),
    timing,
  }).trim();
}

async function showStatus(ctx: TurnContext, id: number): Promise<Reply[]> {
  const m = ctx.services.messages;
  const { prisma, config, registry } = ctx.services;
  const p = await broadcastProgress(prisma, id, configRates(config, registry), registry);
  if (!p) return [{ text: fill(m.broadcastNotFound, { id }) }];
  if (!(await mayBroadcastTo(ctx, p.unitCode))) return refusal(ctx);
  return [{ text: formatProgress(ctx, p), buttons: [broadcastButtons(id, p.status === "RUNNING" || p.status === "SCHEDULED")] }];
}

async function stop(ctx: TurnContext, id: number): Promise<Reply[]> {
  const { prisma, queues, messages: m } = ctx.services;
  const b = await prisma.broadcast.findUnique({ where: { id } });
  if (!b) return [{ text: fill(m.broadcastNotFound, { id }) }];
  if (!(await mayBroadcastTo(ctx, b.unitCode))) return refusal(ctx);
  if (!queues) return [{ text: m.broadcastUnavailable }];
  const result = await cancelBroadcast({ prisma, queues }, id, { personId: ctx.actor.personId, label: actorLabel(ctx) });
  if (result.ok) return [{ text: fill(m.broadcastCancelled, { id, cancelled: formatCount(result.cancelled), sent: formatCount(result.sent) }) }];
  if (result.reason === "not_found") return [{ text: fill(m.broadcastNotFound, { id }) }];
  return [{ text: fill(m.broadcastCannotCancel, { id, status: statusLabels[result.status ?? ""] ?? "kết thúc" }) }];
}

async function list(ctx: TurnContext): Promise<Reply[]> {
  const { prisma, messages: m, config } = ctx.services;
  const grants = ctx.actor.roles.filter((r) => r.role === "SUPERVISOR" || r.role === "ADMIN");
  const paths = [...(await unitPaths(prisma, grants.map((g) => g.unitCode))).values()];
  if (paths.length === 0) return refusal(ctx);
  const recent = await prisma.broadcast.findMany({
    where: { OR: paths.map((p) => ({ unit: { path: { startsWith: p } } })) },
    orderBy: { id: "desc" },
    take: 8,
    include: { unit: true },
  });
  if (recent.length === 0) return [{ text: m.broadcastListEmpty }];
  const lines = recent.map(
    (b) =>
      `#${b.id} · ${formatVietnamTime(b.scheduledAt ?? b.createdAt, config.TZ)} · ${b.unit.name} · ${statusLabels[b.status] ?? b.status} · ${formatCount(b.recipientCount)} người — ${b.text.replace(/\s+/g, " ").slice(0, 40)}${b.text.length > 40 ? "…" : ""}`,
  );
  return [{ text: fill(m.broadcastList, { lines: lines.join("\n") }) }];
}

export function registerBroadcastCommands(router: Registrar): void {
  router.command({
    name: "thongbao",
    description: "Gửi thông báo tới người dân, cán bộ",
    listedFor: "staff",
    async run(ctx, args) {
      const m = ctx.services.messages;
      const home = await homeUnit(ctx);
      if (!home) return refusal(ctx);
      const [first = ""] = args.split(/\s+/);
      const word = foldDiacritics(first).replace(/[^a-z]/g, "");
      const rest = args.slice(first.length).trim();
      const number = /^#?(\d{1,9})$/.exec(rest)?.[1];
      if (["trangthai", "tiendo", "xem"].includes(word)) return number ? showStatus(ctx, Number(number)) : [{ text: m.broadcastUsage }];
      if (word === "danhsach") return list(ctx);
      if (word === "huy" && (rest === "" || number)) {
        if (number) return stop(ctx, Number(number));
        const { draft } = await loadDraft(ctx);
        if (!draft) return [{ text: m.broadcastNoDraft }];
        await saveDraft(ctx, undefined);
        return [{ text: m.broadcastDraftCancelled }];
      }
      if (word === "hen" && (rest === "" || /^\d/.test(rest))) {
        const { draft } = await loadDraft(ctx);
        const base = draft ?? newDraft(home);
        if (!rest) {
          await saveDraft(ctx, { ...base, step: "time" });
          return [{ text: m.broadcastAskTime, buttons: [[cancelDraftButton(base)]] }];
        }
        return setSchedule(ctx, base, rest);
      }
      if (["huongdan", "help", "giup"].includes(word) && !rest) return [{ text: m.broadcastUsage }];
      const draft = newDraft(home);
      if (!args) {
        await saveDraft(ctx, draft);
        return askText(ctx, draft);
      }
      // "/thongbao <text>": the text typed after the command (newlines kept).
      const strip = (t: string) => t.trim().replace(/^\/\S+\s*/, "");
      return setText(ctx, draft, strip(ctx.text).trim(), strip(ctx.message.text ?? ""));
    },
  });

  router.payload({
    prefix: BROADCAST_PAYLOAD,
    async run(ctx, value) {
      const m = ctx.services.messages;
      if (!(await homeUnit(ctx))) return refusal(ctx);
      const [action = "", ref = "", arg = ""] = value.split(":");
      if (action === "st") return showStatus(ctx, Number(ref));
      if (action === "stop") {
        return [
          {
            text: fill(m.broadcastConfirmStop, { id: Number(ref) }),
            buttons: [[{ label: "⛔ Dừng hẳn", payload: `${BROADCAST_PAYLOAD}:stopok:${Number(ref)}` }, { label: "Không", payload: `${BROADCAST_PAYLOAD}:st:${Number(ref)}` }]],
          },
        ];
      }
      if (action === "stopok") return stop(ctx, Number(ref));
      const [draftId, version] = ref.split(".");
      const { draft } = await loadDraft(ctx);
      if (!draft || draft.id !== draftId) return [{ text: m.broadcastNoDraft }];
      switch (action) {
        case "x":
          await saveDraft(ctx, undefined);
          return [{ text: m.broadcastDraftCancelled }];
        case "ok":
          if (Number(version) !== draft.v || draft.step !== "options" || !draft.text) return showPreview(ctx, draft, m.broadcastStalePreview);
          return confirm(ctx, draft);
        case "a":
          return showPreview(ctx, { ...draft, audience: audienceCodes[arg] ?? draft.audience });
        case "c":
          return showPreview(ctx, { ...draft, channels: ctx.services.registry.sendable.filter((c) => c === arg) });
        case "u":
          await saveDraft(ctx, { ...draft, step: "unit" });
          return [{ text: m.broadcastAskUnit, buttons: [[cancelDraftButton(draft)]] }];
        case "un":
          if (!(await mayBroadcastTo(ctx, arg))) return refusal(ctx);
          return showPreview(ctx, { ...draft, unitCode: arg });
        case "t":
          await saveDraft(ctx, { ...draft, step: "time" });
          return [{ text: m.broadcastAskTime, buttons: [[cancelDraftButton(draft)]] }];
        case "now":
          return showPreview(ctx, { ...draft, scheduledAt: undefined });
        case "ph":
          await saveDraft(ctx, { ...draft, step: "photo" });
          return [{ text: m.broadcastAskPhoto, buttons: [[cancelDraftButton(draft)]] }];
        case "np":
          return showPreview(ctx, { ...draft, photoUrl: undefined });
        case "e":
          await saveDraft(ctx, { ...draft, step: "text" });
          return askText(ctx, draft);
        default:
          return showPreview(ctx, draft);
      }
    },
  });

  // While a draft waits for typed input (text, unit, photo link, time), the next plain message is that input.
  router.intercept({
    name: "broadcast-draft",
    async run(ctx) {
      if (ctx.actor.roles.length === 0 || ctx.message.payload || !ctx.text || ctx.text.startsWith("/")) return null;
      const { draft } = await loadDraft(ctx);
      if (!draft || draft.step === "options") return null;
      if (!(await homeUnit(ctx))) return null;
      switch (draft.step) {
        case "text":
          return setText(ctx, draft, ctx.text.trim(), (ctx.message.text ?? "").trim());
        case "unit":
          return chooseUnit(ctx, draft, ctx.text);
        case "time":
          return setSchedule(ctx, draft, ctx.text);
        case "photo": {
          const url = ctx.text.trim();
          if (!/^https:\/\/\S+$/i.test(url) || !URL.canParse(url) || url.length > 500) {
            return [{ text: ctx.services.messages.broadcastPhotoInvalid, buttons: [[cancelDraftButton(draft)]] }];
          }
          return showPreview(ctx, { ...draft, photoUrl: url });
        }
      }
    },
  });
}
