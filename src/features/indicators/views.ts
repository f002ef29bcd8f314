// What /tiendo shows: a unit's key figures, the 25-services table, one indicator across the units
// below, and its bar chart. Numbers in Vietnamese format; stale figures marked with their date.
import type { Button, Reply } from "../../core/types.ts";
import { fill, type Messages } from "../../core/messages.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { hasEnded, label, type Catalog, type IndicatorDef } from "./catalog.ts";
import { barChartPng, type Bar } from "./chart.ts";
import { formatCountChange, formatNumber, formatPercent, formatPointChange } from "./numbers.ts";
import { formatDate, isStale, periodLabel, type PeriodKind } from "./periods.ts";
import {
  childUnits,
  childValuesAt,
  childValuesLatest,
  rankRows,
  score,
  unitFigures,
  unitsByCode,
  type UnitFigure,
  type UnitRow,
  type ValueRow,
} from "./query.ts";
import { RATE_TOLERANCE } from "./importer.ts";

/** Telegram's limit is 4096 characters; leave room for the platform's own additions. */
export const MAX_TEXT = 4000;
/** Lines in the summary: key indicators first, then others with figures. */
const SUMMARY_INDICATORS = 10;
const CHART_BARS = 40;

export interface ViewContext {
  prisma: PrismaClient;
  messages: Messages;
  catalog: Catalog;
  now: Date;
}

/** Button payloads are opaque to channels and at most 64 bytes (Telegram's callback_data). */
export function payload(...parts: string[]): string {
  const value = ["td", ...parts].join(":");
  if (Buffer.byteLength(value) > 64) throw new Error(`button payload too long: ${value}`);
  return value;
}

export function safeButton(text: string, ...parts: string[]): Button[] {
  const value = ["td", ...parts].join(":");
  return Buffer.byteLength(value) <= 64 ? [{ label: text, payload: value }] : [];
}

/** Joins lines, dropping lines from the end (with a note) so the text fits one message. */
export function fitText(lines: string[], max = MAX_TEXT): string {
  let text = lines.join("\n");
  if (text.length <= max) return text;
  const kept = [...lines];
  while (kept.length > 1 && `${kept.join("\n")}\n…`.length > max) kept.pop();
  text = `${kept.join("\n")}\n…`;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function whenLabel(row: Pick<ValueRow, "period_kind" | "period" | "period_end">, now: Date): { text: string; stale: boolean } {
  const stale = isStale(row.period_kind as PeriodKind, row.period_end, now);
  return {
    text: stale ? `⏳ số liệu đến ${formatDate(row.period_end)}` : periodLabel(row.period_kind as PeriodKind, row.period, row.period_end),
    stale,
  };
}

export function periodText(row: Pick<ValueRow, "period_kind" | "period" | "period_end">): string {
  return periodLabel(row.period_kind as PeriodKind, row.period, row.period_end);
}

/** "65,6% (151.446/230.745 hồ sơ)", "100,8% chỉ tiêu (…)", "58.536 hội viên", "không phát sinh". */
export function valueText(def: IndicatorDef, row: Pick<ValueRow, "numerator" | "denominator" | "rate">): string {
  const counts = def.counts ? ` ${def.counts}` : "";
  if (def.kind === "count") return `${formatNumber(row.numerator)}${counts}`;
  const pair = `${formatNumber(row.numerator)}/${formatNumber(row.denominator ?? 0)}${counts}`;
  if (row.rate === null) return `không phát sinh (${pair})`;
  return `${formatPercent(row.rate)}${def.kind === "target" ? " chỉ tiêu" : ""} (${pair})`;
}

/** The bare figure: "65,6%" or "58.536". */
export function shortValue(def: IndicatorDef, row: Pick<ValueRow, "numerator" | "rate">): string {
  if (def.kind === "count") return formatNumber(row.numerator);
  return row.rate === null ? "—" : formatPercent(row.rate);
}

export function reportedNote(m: Messages, def: IndicatorDef, row: ValueRow): string | undefined {
  if (def.kind === "count" || row.reported_rate === null || row.rate === null) return undefined;
  if (Math.abs(row.rate - row.reported_rate) <= RATE_TOLERANCE) return undefined;
  return fill(m.tiendoReported, { reported: formatPercent(row.reported_rate, 2), computed: formatPercent(row.rate, 2) });
}

function changeText(def: IndicatorDef, figure: UnitFigure): string | undefined {
  const { latest, previous } = figure;
  if (!previous) return undefined;
  if (def.kind === "count") return formatCountChange(latest.numerator - previous.numerator);
  if (latest.rate === null || previous.rate === null) return undefined;
  return formatPointChange(latest.rate - previous.rate);
}

function unitName(units: Map<string, UnitRow>, code: string): string {
  return units.get(code)?.name ?? code;
}

/**
 * Is `def` listed for `unit` at `now`? Ended indicators are history: not listed for a unit in force, still
 * shown (marked) for a unit of an ended list edition.
 */
export function listedFor(def: IndicatorDef, unit: Pick<UnitRow, "valid_to">, now: Date): boolean {
  return unit.valid_to !== null || !hasEnded(def, now);
}

/** The indicator's label, with "(đã kết thúc)" when it has ended. */
export function labelAt(m: Messages, def: IndicatorDef, now: Date): string {
  return hasEnded(def, now) ? `${label(def)} (${m.tiendoEndedMark})` : label(def);
}

/** Which indicators a summary shows: key ones with figures first, then others, in catalogue order. */
export function summaryIndicators(catalog: Catalog, figures: Map<string, UnitFigure>, unit: Pick<UnitRow, "valid_to">, now: Date, max = SUMMARY_INDICATORS): IndicatorDef[] {
  const withData = catalog.list.filter((d) => figures.has(d.code) && listedFor(d, unit, now));
  const keys = withData.filter((d) => d.key);
  const others = withData.filter((d) => !d.key && d.service === undefined);
  const services = withData.filter((d) => !d.key && d.service !== undefined);
  return [...keys, ...others, ...services].slice(0, max);
}

/** `/tiendo [unit]`: the unit's key figures with change, rank among siblings and the weakest units below. */
export async function summaryView(v: ViewContext, unit: UnitRow): Promise<Reply[]> {
  const m = v.messages;
  const figures = await unitFigures(v.prisma, unit.code);
  const shown = summaryIndicators(v.catalog, figures, unit, v.now);
  if (shown.length === 0) {
    const children = await childUnits(v.prisma, unit.code);
    const buttons = children.slice(0, 8).flatMap((c) => safeButton(c.name, "u", c.code).map((b) => [b]));
    return [{ text: fill(m.tiendoNoData, { unit: unit.name }), ...(buttons.length ? { buttons } : {}) }];
  }
  const pairs = shown.map((d) => ({ indicator: d.code, period: figures.get(d.code)!.latest.period }));
  const [siblings, children] = await Promise.all([
    unit.parent_code ? childValuesAt(v.prisma, unit.parent_code, pairs) : Promise.resolve([]),
    childValuesAt(v.prisma, unit.code, pairs),
  ]);
  const names = await unitsByCode(v.prisma, [...(unit.parent_code ? [unit.parent_code] : []), ...children.map((r) => r.unit_code)]);
  const parentName = unit.parent_code ? unitName(names, unit.parent_code) : "";

  const lines = [fill(m.tiendoTitle, { unit: unit.name }), ""];
  let anyStale = false;
  for (const def of shown) {
    const figure = figures.get(def.code)!;
    const when = whenLabel(figure.latest, v.now);
    anyStale ||= when.stale;
    lines.push(`• ${labelAt(m, def, v.now)}: ${valueText(def, figure.latest)} · ${when.text}`);
    const details: string[] = [];
    const change = changeText(def, figure);
    if (change) details.push(fill(m.tiendoChange, { period: periodText(figure.previous!), change }));
    const sameKey = siblings.filter((r) => r.indicator_code === def.code && r.period === figure.latest.period);
    const ranked = rankRows(def, sameKey);
    const mine = ranked.find((r) => r.row.unit_code === unit.code);
    if (mine && ranked.length > 1) details.push(fill(m.tiendoRank, { rank: mine.rank, total: ranked.length, parent: parentName }));
    if (details.length) lines.push(`   ${details.join(" · ")}`);
    const note = reportedNote(m, def, figure.latest);
    if (note) lines.push(`   ${note}`);
  }

  // The weakest units below, on the first shown indicator the children reported for the same period.
  const buttons: Button[][] = [];
  const headline = shown.find((d) => rankRows(d, children.filter((r) => r.indicator_code === d.code)).length >= 2);
  if (headline) {
    const ranked = rankRows(headline, children.filter((r) => r.indicator_code === headline.code));
    const weakest = ranked.slice(-3).reverse();
    lines.push("", fill(m.tiendoWeakest, { indicator: label(headline), period: periodText(figures.get(headline.code)!.latest) }));
    weakest.forEach((r, i) => lines.push(`${i + 1}. ${unitName(names, r.row.unit_code)}: ${shortValue(headline, r.row)} (hạng ${r.rank}/${ranked.length})`));
    buttons.push(weakest.flatMap((r) => safeButton(`🔎 ${unitName(names, r.row.unit_code)}`, "u", r.row.unit_code)));
    buttons.push([
      ...safeButton(m.tiendoButtonChildren, "i", headline.code, unit.code),
      ...safeButton(m.tiendoButtonChart, "c", headline.code, unit.code),
    ]);
  }
  if (v.catalog.services.some((d) => figures.has(d.code))) buttons.push(safeButton(m.tiendoButtonDvc, "d", unit.code));
  if (anyStale) lines.push("", m.tiendoStaleNote);
  const nonEmpty = buttons.filter((row) => row.length > 0);
  return [{ text: fitText(lines), ...(nonEmpty.length ? { buttons: nonEmpty } : {}) }];
}

/** `/tiendo dvc`: the 25 essential services, each with its online-filing rate. */
export async function dvcView(v: ViewContext, unit: UnitRow): Promise<Reply[]> {
  const m = v.messages;
  // A unit in force is not shown the services that ended (DVC 1 since 15/3/2026); they are named below the table.
  const ended = v.catalog.services.filter((d) => !listedFor(d, unit, v.now));
  const services = v.catalog.services.filter((d) => !ended.includes(d));
  const aggregate = ["dvc25_tong", "dvc25_cong_an", "dvc25_nganh"].flatMap((c) => (v.catalog.byCode.has(c) ? [v.catalog.byCode.get(c)!] : []));
  const figures = await unitFigures(v.prisma, unit.code, [...services, ...aggregate].map((d) => d.code));
  const serviceRows = services.flatMap((d) => (figures.has(d.code) ? [figures.get(d.code)!.latest] : []));
  if (serviceRows.length === 0 && !aggregate.some((d) => figures.has(d.code))) return [{ text: fill(m.tiendoDvcNone, { unit: unit.name }) }];
  // The period most services report: named once in the title, others named on their line.
  const counts = new Map<string, { n: number; row: ValueRow }>();
  for (const row of serviceRows.length ? serviceRows : aggregate.flatMap((d) => (figures.has(d.code) ? [figures.get(d.code)!.latest] : []))) {
    const c = counts.get(row.period) ?? { n: 0, row };
    c.n++;
    counts.set(row.period, c);
  }
  const main = [...counts.values()].sort((a, b) => b.n - a.n)[0]!.row;
  const mainWhen = whenLabel(main, v.now);
  const lines = [fill(m.tiendoDvcTitle, { unit: unit.name, period: mainWhen.text }), ""];
  const weak: Array<{ def: IndicatorDef; rate: number }> = [];
  for (const def of services) {
    const row = figures.get(def.code)?.latest;
    if (!row) {
      lines.push(`${def.service}. ${labelAt(m, def, v.now)}: —`);
      continue;
    }
    const other = row.period !== main.period ? ` · ${whenLabel(row, v.now).text}` : "";
    lines.push(`${def.service}. ${labelAt(m, def, v.now)}: ${valueText(def, row).replace(/ hồ sơ\)$/, ")")}${other}`);
    const note = reportedNote(m, def, row);
    if (note) lines.push(`   ${note}`);
    if (row.rate !== null) weak.push({ def, rate: row.rate });
  }
  const totals = aggregate.flatMap((d) => (figures.has(d.code) ? [{ def: d, row: figures.get(d.code)!.latest }] : []));
  if (totals.length) lines.push("");
  for (const { def, row } of totals) {
    lines.push(`${label(def)}: ${valueText(def, row)} · ${whenLabel(row, v.now).text}`);
    const note = reportedNote(m, def, row);
    if (note) lines.push(`   ${note}`);
  }
  if (ended.length) lines.push("", ...ended.map((d) => fill(m.tiendoEnded, { indicator: `${d.service}. ${label(d)}`, why: d.ended ?? "" })));
  if (mainWhen.stale) lines.push("", m.tiendoStaleNote);
  const buttons = weak
    .sort((a, b) => a.rate - b.rate)
    .slice(0, 2)
    .map((w) => safeButton(`📈 ${label(w.def)}`, "i", w.def.code, unit.code))
    .filter((row) => row.length > 0);
  return [{ text: fitText(lines), ...(buttons.length ? { buttons } : {}) }];
}

interface ChildrenData {
  def: IndicatorDef;
  rows: ValueRow[];
  ranked: ReturnType<typeof rankRows>;
  names: Map<string, UnitRow>;
  missing: UnitRow[];
  own?: ValueRow;
}

async function childrenData(v: ViewContext, unit: UnitRow, def: IndicatorDef): Promise<ChildrenData> {
  const [rows, kids, own] = await Promise.all([
    childValuesLatest(v.prisma, unit.code, def.code),
    childUnits(v.prisma, unit.code),
    unitFigures(v.prisma, unit.code, [def.code]),
  ]);
  const names = new Map(kids.map((k) => [k.code, k]));
  const reported = new Set(rows.map((r) => r.unit_code));
  const period = rows[0]?.period;
  const ownRow = own.get(def.code)?.latest;
  return {
    def,
    rows,
    ranked: rankRows(def, rows),
    names,
    missing: kids.filter((k) => !reported.has(k.code)),
    ...(ownRow && (!period || ownRow.period === period) ? { own: ownRow } : {}),
  };
}

/** `/tiendo <indicator>`: one indicator across the units directly below, best first. */
export async function childrenView(v: ViewContext, unit: UnitRow, def: IndicatorDef): Promise<Reply[]> {
  const m = v.messages;
  const data = await childrenData(v, unit, def);
  const endedNote = hasEnded(def, v.now) ? [fill(m.tiendoEnded, { indicator: label(def), why: def.ended ?? "" })] : [];
  if (data.rows.length === 0) {
    const own = (await unitFigures(v.prisma, unit.code, [def.code])).get(def.code);
    const lines = [...endedNote, fill(m.tiendoNoChildren, { unit: unit.name, indicator: label(def) })];
    if (own) lines.push("", `${unit.name}: ${valueText(def, own.latest)} · ${whenLabel(own.latest, v.now).text}`);
    return [{ text: lines.join("\n") }];
  }
  const sample = data.rows[0]!;
  const when = whenLabel(sample, v.now);
  const lines = [fill(m.tiendoChildrenTitle, { indicator: def.name, unit: unit.name, period: when.text }), ...endedNote, ""];
  const line = (r: (typeof data.ranked)[number]) =>
    `${r.rank}. ${unitName(data.names, r.row.unit_code)}: ${valueText(def, r.row)}${reportedNote(m, def, r.row) ? " ⚠" : ""}`;
  if (data.ranked.length <= 40) lines.push(...data.ranked.map(line));
  else lines.push(...data.ranked.slice(0, 10).map(line), "…", ...data.ranked.slice(-20).map(line));
  const unscored = data.rows.filter((r) => score(def, r) === null);
  if (unscored.length) lines.push(fill(m.tiendoNoFilings, { names: unscored.map((r) => unitName(data.names, r.unit_code)).join(", ") }));
  if (data.missing.length) {
    const names = data.missing.slice(0, 10).map((u) => u.name).join(", ") + (data.missing.length > 10 ? ", …" : "");
    lines.push("", fill(m.tiendoMissingUnits, { count: data.missing.length, names }));
  }
  if (data.own) lines.push("", `${unit.name}: ${valueText(def, data.own)}`);
  if (data.rows.some((r) => reportedNote(m, def, r))) lines.push(m.tiendoReportedMark);
  if (when.stale) lines.push("", m.tiendoStaleNote);
  const buttons: Button[][] = [
    safeButton(m.tiendoButtonChart, "c", def.code, unit.code),
    data.ranked.slice(-3).reverse().flatMap((r) => safeButton(`🔎 ${unitName(data.names, r.row.unit_code)}`, "u", r.row.unit_code)),
  ].filter((row) => row.length > 0);
  return [{ text: fitText(lines), ...(buttons.length ? { buttons } : {}) }];
}

/** `/tiendo bieudo <indicator>`: a bar chart (PNG) of the units directly below. */
export async function chartView(v: ViewContext, unit: UnitRow, def: IndicatorDef): Promise<Reply[]> {
  const m = v.messages;
  const data = await childrenData(v, unit, def);
  if (data.ranked.length === 0) return [{ text: fill(m.tiendoNoChildren, { unit: unit.name, indicator: label(def) }) }];
  const sample = data.rows[0]!;
  const period = whenLabel(sample, v.now).text;
  // Best at the top; with many units, the weakest ones (those that need attention) are drawn.
  const drawn = data.ranked.length > CHART_BARS ? data.ranked.slice(-CHART_BARS) : data.ranked;
  const ownScore = data.own ? score(def, data.own) : null;
  const reference =
    def.kind === "target"
      ? { value: 100, label: "100% chỉ tiêu" }
      : ownScore !== null && def.kind === "share"
        ? { value: ownScore, label: `${unit.name}: ${formatPercent(ownScore)}` }
        : undefined;
  const bars: Bar[] = drawn.map((r) => ({
    label: unitName(data.names, r.row.unit_code),
    value: r.score,
    valueLabel: shortValue(def, r.row),
    highlight: reference ? (def.higherIsBetter ? r.score < reference.value : r.score > reference.value) : false,
  }));
  const top = Math.max(...bars.map((b) => b.value), reference?.value ?? 0);
  const max = def.kind === "share" ? Math.min(100, Math.max(top * 1.15, 1)) : top * 1.1;
  const notes = [
    drawn.length < data.ranked.length ? fill(m.tiendoChartTruncated, { shown: drawn.length, total: data.ranked.length }) : "",
    data.missing.length ? fill(m.tiendoChartMissing, { count: data.missing.length }) : "",
  ].filter(Boolean);
  const png = barChartPng({
    title: label(def),
    subtitle: `${unit.name} · ${period}`,
    bars,
    max,
    ...(reference ? { reference } : {}),
    ...(notes.length ? { footnote: notes.join(" ") } : {}),
  });
  const caption = fill(m.tiendoChartCaption, { indicator: label(def), unit: unit.name, period });
  const weakest = data.ranked.slice(-3).reverse();
  const text = fitText([
    caption,
    ...weakest.map((r) => `• ${unitName(data.names, r.row.unit_code)}: ${shortValue(def, r.row)} (hạng ${r.rank}/${data.ranked.length})`),
    ...notes,
  ]);
  return [{ text, image: { png, caption } }];
}
