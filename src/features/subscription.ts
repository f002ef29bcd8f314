// Citizens subscribe to a unit's announcements (normally their commune):
// - by scanning the unit's QR code at the one-stop desk: Telegram opens the bot with `/start u_<CODE>`;
//   on Zalo (no start parameter) the citizen sends the code printed under the QR, "DK <CODE>";
// - by typing `/dangky <tên hoặc mã xã>`;
// - on the web chat, by pressing «Nhận thông báo» (the `sub:<CODE>` button payload): opening the chat from a
//   QR code or a portal's widget only records the unit (questions to an officer go there), opted out, since a
//   page that a portal shows to every visitor is no consent;
// and stop or resume them with `/huy` and `/tieptuc`. One subscription per channel identity; every
// change records the moment of consent (consentAt) or of opting out (optedOutAt).
import type { Registrar } from "../core/router.ts";
import { fill } from "../core/messages.ts";
import type { Button, Reply, TurnContext } from "../core/types.ts";
import type { SubscriptionSource } from "../generated/prisma/enums.ts";
import type { Feature, StartArgumentHandler } from "../core/feature.ts";
import { foldDiacritics } from "../core/text.ts";
import { findFormerDistricts, findUnits, foldUnitName, formerDistrictText, successionNote, type UnitSummary } from "./units.ts";

/** `/start u_<CODE>`: the deep-link argument printed in a unit's Telegram QR code. */
export const START_ARGUMENT_PREFIX = "u_";
/** Button payload prefix for choosing among units with the same name. */
export const SUBSCRIBE_PAYLOAD = "sub";

export function startArgumentFor(unitCode: string): string {
  return `${START_ARGUMENT_PREFIX}${unitCode}`;
}

/** What a citizen sends first on a channel without deep-link parameters (Zalo). */
export function subscribeMessageFor(unitCode: string): string {
  return `DK ${unitCode}`;
}

/** Phrases; each can be overridden in content/messages.yaml under the same key. */
const defaults = {
  subscribed: "Bạn đã đăng ký nhận thông báo của {unit}. Gõ /huy nếu muốn ngừng nhận.",
  subscribedReplacing: "Bạn đã đăng ký nhận thông báo của {unit} (thay cho {previous}). Gõ /huy nếu muốn ngừng nhận.",
  subscribeUnknownUnit:
    "Xin lỗi, mã đơn vị {code} không có trong danh sách nên chưa đăng ký nhận thông báo được. Bạn có thể gõ /dangky kèm tên xã, phường của mình, ví dụ: /dangky Sen Thủy.",
  subscribeUsage: "Gõ /dangky kèm tên hoặc mã xã, phường của bạn, ví dụ: /dangky Sen Thủy",
  subscribeNotFound: "Tôi chưa tìm thấy xã, phường nào tên \"{query}\". Bạn kiểm tra lại tên, hoặc gõ mã xã, phường (hỏi cán bộ một cửa).",
  subscribeChoose: "Có nhiều đơn vị tên \"{query}\". Bạn chọn đúng xã, phường của mình:",
  subscribeTooMany:
    "Có quá nhiều đơn vị khớp với \"{query}\". Bạn thêm tên tỉnh, thành phố sau dấu phẩy (với tên xã cũ: cả tên huyện cũ), ví dụ: /dangky Tân Lập, Quảng Trị",
  unsubscribed: "Bạn đã ngừng nhận thông báo của {unit}. Gõ /tieptuc khi muốn nhận lại.",
  alreadyUnsubscribed: "Bạn đang không nhận thông báo của {unit}. Gõ /tieptuc nếu muốn nhận lại.",
  resumed: "Bạn sẽ tiếp tục nhận thông báo của {unit}. Gõ /huy nếu muốn ngừng.",
  webUnitNoted: "Bạn đang hỏi Trợ lý 06 của {unit}. Muốn nhận thông báo của {unit} ngay trong trang này, bấm nút «Nhận thông báo».",
  notSubscribed:
    "Bạn chưa đăng ký nhận thông báo của xã, phường nào. Gõ /dangky kèm tên xã, phường của bạn, ví dụ: /dangky Sen Thủy.",
} as const;

type Phrase = keyof typeof defaults;

function say(ctx: TurnContext, key: Phrase, values: Record<string, string> = {}): string {
  return fill(ctx.services.messages[key] ?? defaults[key], values);
}

const levelWord: Record<UnitSummary["level"], string> = { PROVINCE: "tỉnh", DISTRICT: "huyện", COMMUNE: "xã", VILLAGE: "thôn" };
const HAS_PREFIX = /^(tinh|thanh pho|huyen|quan|thi xa|xa|phuong|thi tran|dac khu|thon|ap|ban|to dan pho|khom)\s/;

/** "Xã Sen Thủy" as stored, or "xã Sen Thủy" when the stored name has no level word. */
export function unitLabel(unit: Pick<UnitSummary, "name" | "level">): string {
  return HAS_PREFIX.test(foldUnitName(unit.name)) ? unit.name : `${levelWord[unit.level]} ${unit.name}`;
}

type UnitRef = Pick<UnitSummary, "code" | "name" | "level"> & Partial<Pick<UnitSummary, "formerly" | "path" | "parentCode" | "validTo">>;

/** Subscribes, first saying what an old unit is called now ("Xã Sen Thủy (…) nay là Xã Sen Ngư, …"). */
async function subscribe(ctx: TurnContext, unit: UnitRef, source: SubscriptionSource): Promise<Reply[]> {
  const note = unit.formerly && unit.path ? await successionNote(ctx.services.prisma, [unit as UnitSummary]) : undefined;
  const replies = await subscribeNow(ctx, unit, source);
  return note ? [{ ...replies[0]!, text: `${note}\n${replies[0]!.text}` }, ...replies.slice(1)] : replies;
}

async function subscribeNow(ctx: TurnContext, unit: UnitRef, source: SubscriptionSource): Promise<Reply[]> {
  const { prisma } = ctx.services;
  const identityId = ctx.actor.identityId;
  const previous = await prisma.subscription.findUnique({ where: { identityId }, include: { unit: true } });
  const now = new Date();
  await prisma.subscription.upsert({
    where: { identityId },
    create: { identityId, unitCode: unit.code, source, consentAt: now, optedOutAt: null },
    update: { unitCode: unit.code, source, consentAt: now, optedOutAt: null },
  });
  ctx.log.info({ unit: unit.code, source }, "subscribed");
  const text =
    previous && previous.unitCode !== unit.code
      ? say(ctx, "subscribedReplacing", { unit: unitLabel(unit), previous: unitLabel(previous.unit) })
      : say(ctx, "subscribed", { unit: unitLabel(unit) });
  return [{ text }];
}

/**
 * The web chat opened for a unit (QR code, widget): the unit is noted as the session's own, opted out, so
 * that "Hỏi cán bộ" reaches its officers and «Nhận thông báo» knows what to offer. A session that already
 * receives announcements keeps its subscription as it is.
 */
async function noteWebUnit(ctx: TurnContext, unit: UnitRef): Promise<Reply[]> {
  const { prisma } = ctx.services;
  const identityId = ctx.actor.identityId;
  const current = await prisma.subscription.findUnique({ where: { identityId }, include: { unit: true } });
  if (current && !current.optedOutAt) return [{ text: say(ctx, "subscribed", { unit: unitLabel(current.unit) }) }];
  const now = new Date();
  // consentAt is required by the schema; with optedOutAt at the same moment the row holds no consent.
  await prisma.subscription.upsert({
    where: { identityId },
    create: { identityId, unitCode: unit.code, source: "QR", consentAt: now, optedOutAt: now },
    update: { unitCode: unit.code, source: "QR", optedOutAt: current?.optedOutAt ?? now },
  });
  return [{ text: say(ctx, "webUnitNoted", { unit: unitLabel(unit) }) }];
}

/** The unit a QR code or "DK <CODE>" names: by key or official code; an old unit gives its one successor. */
async function unitByCode(ctx: TurnContext, code: string): Promise<UnitRef | null> {
  const select = { code: true, name: true, level: true, validTo: true } as const;
  const { prisma } = ctx.services;
  const direct =
    (await prisma.adminUnit.findUnique({ where: { code }, select })) ??
    (await prisma.adminUnit.findFirst({ where: { code: { equals: code, mode: "insensitive" } }, select }));
  if (direct && !direct.validTo) return direct;
  const found = await findUnits(prisma, direct?.code ?? code);
  return found.length === 1 ? found[0]! : null;
}

/** "Tỉnh Quảng Trị" for a commune: its ancestors, nearest first. */
async function ancestorNames(ctx: TurnContext, units: UnitSummary[]): Promise<Map<string, string>> {
  const chains = new Map(units.map((u) => [u.code, u.path.split("/").filter((c) => c && c !== u.code).reverse()]));
  const codes = [...new Set([...chains.values()].flat())];
  const names = new Map(
    (await ctx.services.prisma.adminUnit.findMany({ where: { code: { in: codes } }, select: { code: true, name: true } })).map((u) => [
      u.code,
      u.name,
    ]),
  );
  return new Map([...chains].map(([code, chain]) => [code, chain.map((c) => names.get(c) ?? c).join(", ")]));
}

const MAX_CHOICES = 8;

async function subscribeByQuery(ctx: TurnContext, args: string): Promise<Reply[]> {
  const [namePart = "", ...withinParts] = args.split(",");
  const query = namePart.trim();
  if (!query) return [{ text: say(ctx, "subscribeUsage") }];
  let units = await findUnits(ctx.services.prisma, query);
  // A citizen means their commune: prefer communes when the name also matches a district or village.
  const communes = units.filter((u) => u.level === "COMMUNE");
  if (communes.length) units = communes;
  // "huyện Lệ Thủy" (a district word typed) names an old district, even where a commune has its name now.
  const district = await districtNote(ctx, query);
  if (district) return district;
  const within = foldUnitName(withinParts.join(" "));
  const ancestors = await ancestorNames(ctx, units);
  // "Tân Lập, Quảng Trị" names today's province; "Sen Thủy, Lệ Thủy" an old commune's former district.
  if (within) units = units.filter((u) => foldUnitName(`${ancestors.get(u.code) ?? ""} ${u.formerly?.where ?? ""}`).includes(within));
  if (units.length === 0) return [{ text: say(ctx, "subscribeNotFound", { query: args.trim() }) }];
  if (units.length === 1) return subscribe(ctx, units[0]!, "COMMAND");
  if (units.length > MAX_CHOICES) return [{ text: say(ctx, "subscribeTooMany", { query: args.trim() }) }];
  const buttons: Button[][] = units.map((u) => [
    {
      label: [unitLabel(u), ancestors.get(u.code), u.formerly ? `trước là ${u.formerly.name}` : ""].filter(Boolean).join(" — "),
      payload: `${SUBSCRIBE_PAYLOAD}:${u.code}`,
    },
  ]);
  // An old name that was split, or that several units had: say what became of it before asking.
  const note = await successionNote(ctx.services.prisma, units);
  const ask = say(ctx, "subscribeChoose", { query: args.trim() });
  return [{ text: note ? `${note}\n${ask}` : ask, buttons }];
}

/** "/dangky huyện Lệ Thủy": districts are gone; say so and offer the communes that took its communes. */
async function districtNote(ctx: TurnContext, query: string): Promise<Reply[] | null> {
  const [district, ...others] = await findFormerDistricts(ctx.services.prisma, query);
  if (!district) return null;
  const m = ctx.services.messages;
  if (others.length || !district.communes.length) return [{ text: m.districtGoneNoCommunes }];
  const text = await formerDistrictText(ctx.services.prisma, m.districtGone, district);
  const buttons: Button[][] = district.communes.slice(0, MAX_CHOICES).map((u) => [{ label: unitLabel(u), payload: `${SUBSCRIBE_PAYLOAD}:${u.code}` }]);
  return [{ text, buttons }];
}

/** The code in "DK 19123", "đk u_19123", "Đăng ký 19123" — or null when the text is something else. */
export function parseSubscribeMessage(text: string): string | null {
  const folded = foldDiacritics(text.trim());
  if (!/^(?:dk|dang ky)\s*[:#-]?\s*(?:u_)?[a-z0-9_-]{1,32}$/.test(folded)) return null;
  const code = /([A-Za-z0-9_-]{1,32})$/.exec(text.trim())?.[1] ?? "";
  return code.replace(/^u_/i, "");
}

/**
 * Registers /dangky, /huy, /tieptuc, the unit-choice buttons and the "DK <CODE>" message, and returns
 * the /start hook for `u_<CODE>` deep links (pass it to registerBasicCommands as onStartArgument).
 */
export function registerSubscription(router: Registrar): StartArgumentHandler {
  const onStartArgument: StartArgumentHandler = async (ctx, argument) => {
    const trimmed = argument.trim();
    if (!trimmed.startsWith(START_ARGUMENT_PREFIX)) return [];
    const code = trimmed.slice(START_ARGUMENT_PREFIX.length);
    const unit = /^[A-Za-z0-9_-]{1,32}$/.test(code) ? await unitByCode(ctx, code) : null;
    if (!unit) return [{ text: say(ctx, "subscribeUnknownUnit", { code: code.slice(0, 32) }) }];
    return ctx.message.channel === "web" ? noteWebUnit(ctx, unit) : subscribe(ctx, unit, "QR");
  };

  router.command({
    name: "dangky",
    description: "Đăng ký nhận thông báo của xã, phường",
    listedFor: "everyone",
    run: (ctx, args) => subscribeByQuery(ctx, args),
  });
  router.command({
    name: "huy",
    description: "Ngừng nhận thông báo",
    listedFor: "everyone",
    async run(ctx) {
      const { prisma } = ctx.services;
      const subscription = await prisma.subscription.findUnique({ where: { identityId: ctx.actor.identityId }, include: { unit: true } });
      if (!subscription) return [{ text: say(ctx, "notSubscribed") }];
      if (subscription.optedOutAt) return [{ text: say(ctx, "alreadyUnsubscribed", { unit: unitLabel(subscription.unit) }) }];
      await prisma.subscription.update({ where: { identityId: ctx.actor.identityId }, data: { optedOutAt: new Date() } });
      ctx.log.info({ unit: subscription.unitCode }, "unsubscribed");
      return [{ text: say(ctx, "unsubscribed", { unit: unitLabel(subscription.unit) }) }];
    },
  });
  router.command({
    name: "tieptuc",
    description: "Nhận lại thông báo đã ngừng",
    listedFor: "everyone",
    async run(ctx) {
      const { prisma } = ctx.services;
      const subscription = await prisma.subscription.findUnique({ where: { identityId: ctx.actor.identityId }, include: { unit: true } });
      if (!subscription) return [{ text: say(ctx, "notSubscribed") }];
      await prisma.subscription.update({
        where: { identityId: ctx.actor.identityId },
        data: { optedOutAt: null, consentAt: new Date() },
      });
      ctx.log.info({ unit: subscription.unitCode }, "subscription resumed");
      return [{ text: say(ctx, "resumed", { unit: unitLabel(subscription.unit) }) }];
    },
  });
  router.payload({
    prefix: SUBSCRIBE_PAYLOAD,
    async run(ctx, code) {
      const unit = await unitByCode(ctx, code);
      if (!unit) return [{ text: say(ctx, "subscribeUnknownUnit", { code: code.slice(0, 32) }) }];
      return subscribe(ctx, unit, "COMMAND");
    },
  });

  // "DK <CODE>": the first message of a citizen who scanned a Zalo QR (Zalo bots take no start parameter).
  // It is answered exactly like `/start u_<CODE>` — subscription, then the greeting with the topic menu.
  // Only a code that exists, or is all digits (unit codes are), is taken: "dk vneid" stays a question.
  router.intercept({
    name: "subscribe-dk",
    async run(ctx) {
      const code = ctx.message.payload ? null : parseSubscribeMessage(ctx.text);
      if (!code || !(/^\d+$/.test(code) || (await unitByCode(ctx, code)))) return null;
      const asStart: TurnContext = { ...ctx, text: `/start ${startArgumentFor(code)}` };
      const replies = await router.route(asStart);
      ctx.outcome = asStart.outcome;
      return replies;
    },
  });

  return onStartArgument;
}

/** /dangky, /huy, /tieptuc, the unit buttons, "DK <CODE>", and `/start u_<CODE>` through the start hook. */
export const subscriptionFeature: Feature = {
  name: "subscription",
  register(router, { hooks }) {
    hooks.startArguments.push(registerSubscription(router));
  },
};
