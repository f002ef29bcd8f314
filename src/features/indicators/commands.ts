// /tiendo and its buttons ("td:…"). Every unit shown is checked with the policy first: officers and
// supervisors see their unit's subtree, nobody else sees anything (a polite refusal).
import { fill } from "../../core/messages.ts";
import type { Registrar } from "../../core/router.ts";
import { foldDiacritics } from "../../core/text.ts";
import type { Button, Reply, TurnContext } from "../../core/types.ts";
import { authorize, unitPaths } from "../../security/policy.ts";
import { refusal } from "../../core/helpers.ts";
import { findUnits, successionNote, withNote } from "../units.ts";
import { ensureCatalog, findIndicators, label, loadCatalog, type IndicatorDef } from "./catalog.ts";
import { unitsByCode, type UnitRow } from "./query.ts";
import { historyView, summaryWithHistory } from "./history.ts";
import { chartView, childrenView, dvcView, listedFor, type ViewContext } from "./views.ts";

function viewContext(ctx: TurnContext): ViewContext {
  return { prisma: ctx.services.prisma, messages: ctx.services.messages, catalog: loadCatalog(), now: ctx.message.receivedAt };
}

async function mayView(ctx: TurnContext, unitCode: string): Promise<boolean> {
  return (await authorize(ctx.services.prisma, ctx.actor, "indicators.view", unitCode)).allowed;
}

/** The actor's own unit: the highest unit among their grants that allow viewing indicators. */
async function ownUnit(ctx: TurnContext): Promise<UnitRow | undefined> {
  const codes = ctx.actor.roles.map((r) => r.unitCode);
  if (codes.length === 0) return undefined;
  const paths = await unitPaths(ctx.services.prisma, codes);
  const best = codes.filter((c) => paths.has(c)).sort((a, b) => paths.get(a)!.length - paths.get(b)!.length || a.localeCompare(b))[0];
  if (!best || !(await mayView(ctx, best))) return undefined;
  return (await unitsByCode(ctx.services.prisma, [best])).get(best);
}

async function unitByCode(ctx: TurnContext, code: string): Promise<UnitRow | undefined> {
  return (await unitsByCode(ctx.services.prisma, [code])).get(code);
}

/** `note`: what an old name is called now ("Xã Sen Thủy (…) nay là Xã Sen Ngư, tỉnh Quảng Trị."). */
type UnitLookup = { kind: "none" } | { kind: "refused" } | { kind: "one"; unit: UnitRow; note?: string } | { kind: "many"; units: UnitRow[]; note?: string };

/** A unit by code or forgiving name, among those the actor may view. */
async function lookUpUnit(ctx: TurnContext, query: string): Promise<UnitLookup> {
  // Figures stay on the units they were reported for: an old unit is offered beside its successors, and
  // the actor's rights decide which of them they may see.
  const found = await findUnits(ctx.services.prisma, query, undefined, { keepHistorical: true });
  if (found.length === 0) return { kind: "none" };
  const allowed: UnitRow[] = [];
  for (const u of found) {
    if (await mayView(ctx, u.code)) allowed.push({ code: u.code, name: u.name, level: u.level, path: u.path, parent_code: u.parentCode, valid_to: u.validTo });
  }
  if (allowed.length === 0) return { kind: "refused" };
  const note = await successionNote(ctx.services.prisma, found.filter((u) => allowed.some((a) => a.code === u.code)));
  return allowed.length === 1 ? { kind: "one", unit: allowed[0]!, note } : { kind: "many", units: allowed, note };
}

function chooseUnit(ctx: TurnContext, query: string, units: UnitRow[], action: (u: UnitRow) => string[]): Reply[] {
  const buttons: Button[][] = units.slice(0, 8).map((u) => [{ label: u.name, payload: ["td", ...action(u)].join(":") }]);
  return [{ text: fill(ctx.services.messages.tiendoChooseUnit, { query }), buttons }];
}

function chooseIndicator(ctx: TurnContext, query: string, defs: IndicatorDef[], unit: UnitRow, mode: "i" | "c"): Reply[] {
  const buttons: Button[][] = defs.slice(0, 8).map((d) => [{ label: label(d), payload: ["td", mode, d.code, unit.code].join(":") }]);
  return [{ text: fill(ctx.services.messages.tiendoChooseIndicator, { query }), buttons }];
}

const HELP_WORDS = new Set(["huongdan", "huong dan", "help", "?", "trogiup", "tro giup"]);
const DVC_WORDS = ["dvc", "25dvc", "dich vu cong"];
const CHART_WORDS = ["bieudo", "bieu do", "chart"];
const HISTORY_WORDS = ["lichsu", "lich su", "truoc sap nhap"];

/**
 * When the command starts with one of `words` (folded), what follows it as typed ("" when nothing does);
 * null when it does not start so.
 */
function afterLeadingWord(text: string, folded: string, words: readonly string[]): string | null {
  const word = words.find((w) => folded === w || folded.startsWith(`${w} `));
  return word === undefined ? null : text.split(/\s+/).slice(word.split(" ").length).join(" ");
}

/** "<indicator words> <unit words>": the longest indicator prefix whose rest names a unit. */
async function indicatorThenUnit(
  ctx: TurnContext,
  text: string,
): Promise<{ defs: IndicatorDef[]; unit: UnitLookup } | undefined> {
  const words = text.split(/\s+/).filter(Boolean);
  const catalog = loadCatalog();
  let fallback: { defs: IndicatorDef[]; unit: UnitLookup } | undefined;
  // The longest unit name that names exactly one unit wins; an ambiguous or forbidden one is kept in reserve.
  for (let cut = 1; cut < words.length; cut++) {
    const defs = findIndicators(catalog, words.slice(0, cut).join(" "));
    if (defs.length === 0) continue;
    const unit = await lookUpUnit(ctx, words.slice(cut).join(" "));
    if (unit.kind === "one") return { defs, unit };
    if (unit.kind !== "none") fallback ??= { defs, unit };
  }
  return fallback;
}

async function indicatorCommand(ctx: TurnContext, query: string, mode: "i" | "c", base: UnitRow): Promise<Reply[]> {
  const m = ctx.services.messages;
  const catalog = loadCatalog();
  let defs = findIndicators(catalog, query);
  let unit = base;
  if (defs.length === 0) {
    const split = await indicatorThenUnit(ctx, query);
    if (!split) return [{ text: fill(m.tiendoNotFound, { query }) }];
    if (split.unit.kind === "refused") return refusal(ctx);
    if (split.unit.kind === "many") return chooseUnit(ctx, query, split.unit.units, (u) => [mode, split.defs[0]!.code, u.code]);
    if (split.unit.kind === "one") unit = split.unit.unit;
    defs = split.defs;
  }
  // Ended indicators are not offered for a unit in force, unless nothing else matches.
  const listed = defs.filter((d) => listedFor(d, unit, ctx.message.receivedAt));
  if (listed.length) defs = listed;
  if (defs.length > 1) return chooseIndicator(ctx, query, defs, unit, mode);
  const v = viewContext(ctx);
  return mode === "c" ? chartView(v, unit, defs[0]!) : childrenView(v, unit, defs[0]!);
}

async function tiendo(ctx: TurnContext, args: string): Promise<Reply[]> {
  const m = ctx.services.messages;
  const { prisma } = ctx.services;
  const own = await ownUnit(ctx);
  if (!own) return refusal(ctx);
  await ensureCatalog(prisma);
  const v = viewContext(ctx);
  const text = args.trim();
  const folded = foldDiacritics(text).replace(/\s+/g, " ");
  if (!text) return summaryWithHistory(v, own);
  if (HELP_WORDS.has(folded)) return [{ text: m.tiendoUsage }];

  // "/tiendo dvc [đơn vị]", "/tiendo lichsu [đơn vị]": a view of the own unit, or of the one named.
  for (const [words, view, button] of [
    [DVC_WORDS, dvcView, "d"],
    [HISTORY_WORDS, historyView, "h"],
  ] as const) {
    const rest = afterLeadingWord(text, folded, words);
    if (rest === null) continue;
    if (!rest) return view(v, own);
    const found = await lookUpUnit(ctx, rest);
    if (found.kind === "none") return [{ text: fill(m.unitNotFound, { query: rest }) }];
    if (found.kind === "refused") return refusal(ctx);
    if (found.kind === "many") return withNote(found.note, chooseUnit(ctx, rest, found.units, (u) => [button, u.code]));
    return withNote(found.note, await view(v, found.unit));
  }

  const chartRest = afterLeadingWord(text, folded, CHART_WORDS);
  if (chartRest !== null) {
    if (!chartRest) return [{ text: m.tiendoUsage }];
    return indicatorCommand(ctx, chartRest, "c", own);
  }

  // An indicator named exactly by its code or an alias ("vneid", "cccd") wins over unit names.
  const catalog = loadCatalog();
  const exact = catalog.byCode.get(folded.replace(/ /g, "_")) ?? catalog.list.find((d) => d.aliases.some((a) => foldDiacritics(a) === folded));
  if (exact) return childrenView(v, own, exact);

  const found = await lookUpUnit(ctx, text);
  if (found.kind === "refused") return refusal(ctx);
  if (found.kind === "one") return withNote(found.note, await summaryWithHistory(v, found.unit));
  if (found.kind === "many") return withNote(found.note, chooseUnit(ctx, text, found.units, (u) => ["u", u.code]));
  return indicatorCommand(ctx, text, "i", own);
}

/** Button presses: "td:u:<unit>", "td:d:<unit>", "td:h:<unit>", "td:i:<indicator>:<unit>", "td:c:<indicator>:<unit>". */
async function pressed(ctx: TurnContext, value: string): Promise<Reply[]> {
  const [mode, first = "", second = ""] = value.split(":");
  const unitCode = mode === "i" || mode === "c" ? second : first;
  if (!unitCode || !(await mayView(ctx, unitCode))) return refusal(ctx);
  const unit = await unitByCode(ctx, unitCode);
  if (!unit) return refusal(ctx);
  await ensureCatalog(ctx.services.prisma);
  const v = viewContext(ctx);
  switch (mode) {
    case "u":
      return summaryWithHistory(v, unit);
    case "h":
      return historyView(v, unit);
    case "d":
      return dvcView(v, unit);
    case "i":
    case "c": {
      const def = v.catalog.byCode.get(first);
      if (!def) return [{ text: fill(ctx.services.messages.tiendoNotFound, { query: first }) }];
      return mode === "c" ? chartView(v, unit, def) : childrenView(v, unit, def);
    }
    default:
      return [{ text: ctx.services.messages.tiendoUsage }];
  }
}

export function registerIndicatorCommands(router: Registrar): void {
  router.command({
    name: "tiendo",
    aliases: ["chitieu"],
    description: "Tiến độ các chỉ tiêu Đề án 06 của đơn vị",
    listedFor: "staff",
    run: tiendo,
  });
  router.payload({ prefix: "td", run: pressed });
}
