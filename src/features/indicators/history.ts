// Figures across the 2025 reorganisation: a unit in force formed from old units shows their figures,
// which stay on the old units they were reported for. An old unit that went wholly into this one is its
// past: its figures are listed, and those of several such units for the same period are added up. An old
// unit that was split gave only a part of itself: its figures are those of the whole old unit, so they
// are shown apart, said to be so, and never added to anything.
import { fill, type Messages } from "../../core/messages.ts";
import type { Button, Reply } from "../../core/types.ts";
import type { IndicatorDef } from "./catalog.ts";
import { computeRate } from "./numbers.ts";
import { formatDate } from "./periods.ts";
import { predecessorsOf, unitsFigures, type Predecessor, type UnitFigure, type UnitRow, type ValueRow } from "./query.ts";
import { fitText, labelAt, periodText, safeButton, summaryIndicators, summaryView, valueText, type ViewContext } from "./views.ts";

/** In the summary: this many old units with figures, each with this many indicators. */
const SUMMARY_UNITS = 4;
const SUMMARY_PER_UNIT = 2;
/** In the history view. */
const HISTORY_PER_UNIT = 8;

interface WithFigures {
  pred: Predecessor;
  figures: Map<string, UnitFigure>;
  shown: IndicatorDef[];
}

async function predecessorFigures(v: ViewContext, unit: UnitRow, perUnit: number): Promise<{ all: Predecessor[]; withData: WithFigures[] }> {
  const all = await predecessorsOf(v.prisma, unit.code);
  if (all.length === 0) return { all, withData: [] };
  const figures = await unitsFigures(v.prisma, all.map((p) => p.unit.code));
  const withData = all.flatMap((pred) => {
    const own = figures.get(pred.unit.code);
    if (!own?.size) return [];
    // An old unit's figures are history: ended indicators are shown too, marked.
    return [{ pred, figures: own, shown: summaryIndicators(v.catalog, own, pred.unit, v.now, perUnit) }];
  });
  // Whole ones first (they are this unit's past), then the split ones.
  withData.sort((a, b) => Number(a.pred.kind === "PART") - Number(b.pred.kind === "PART"));
  return { all, withData };
}

function line(m: Messages, def: IndicatorDef, row: Pick<ValueRow, "numerator" | "denominator" | "rate" | "period_kind" | "period" | "period_end">, now: Date): string {
  return `• ${labelAt(m, def, now)}: ${valueText(def, row)} · ${periodText(row)}`;
}

/** The sum over whole old units that reported `def` for the same (latest) period, when at least two did. */
function totals(v: ViewContext, whole: WithFigures[], perUnit: number): string[] {
  const m = v.messages;
  const out: string[] = [];
  const defs = v.catalog.list.filter((d) => whole.some((w) => w.shown.includes(d))).slice(0, perUnit);
  for (const def of defs) {
    const rows = whole.flatMap((w) => (w.figures.has(def.code) ? [{ w, row: w.figures.get(def.code)!.latest }] : []));
    const byPeriod = new Map<string, typeof rows>();
    for (const r of rows) byPeriod.set(r.row.period, [...(byPeriod.get(r.row.period) ?? []), r]);
    const [period, same] = [...byPeriod].sort((a, b) => b[1].length - a[1].length || b[1][0]!.row.period_end.getTime() - a[1][0]!.row.period_end.getTime())[0] ?? [];
    if (!period || !same || same.length < 2) continue;
    const numerator = same.reduce((n, r) => n + r.row.numerator, 0);
    const denominator = def.kind === "count" ? null : same.reduce((n, r) => n + (r.row.denominator ?? 0), 0);
    const rate = denominator === null ? null : computeRate(numerator, denominator);
    const sample = same[0]!.row;
    out.push(
      fill(m.tiendoHistoryTotal, { count: same.length, names: same.map((r) => r.w.pred.unit.name).join(", ") }),
      line(m, def, { numerator, denominator, rate, period_kind: sample.period_kind, period: sample.period, period_end: sample.period_end }, v.now),
    );
  }
  return out;
}

/** The lines about the old units, or none when no old unit of this one has figures. */
async function historyLines(v: ViewContext, unit: UnitRow, maxUnits: number, perUnit: number): Promise<{ lines: string[]; any: boolean; predecessors: number }> {
  const m = v.messages;
  const { all, withData } = await predecessorFigures(v, unit, perUnit);
  if (withData.length === 0) return { lines: [], any: false, predecessors: all.length };
  const effective = withData.map((w) => w.pred.effective).sort((a, b) => a.getTime() - b.getTime())[0]!;
  const lines = [fill(m.tiendoHistoryTitle, { date: formatDate(effective), unit: unit.name })];
  for (const w of withData.slice(0, maxUnits)) {
    const { pred } = w;
    const old = pred.place ? `${pred.unit.name} (${pred.place})` : pred.unit.name;
    lines.push(
      pred.kind === "WHOLE"
        ? fill(m.tiendoHistoryWhole, { old, unit: unit.name })
        : fill(m.tiendoHistoryPart, { old, name: pred.unit.name, unit: unit.name, others: pred.others.map((o) => o.name).join(", ") || "—" }),
    );
    for (const def of w.shown) lines.push(`  ${line(m, def, w.figures.get(def.code)!.latest, v.now)}`);
  }
  if (withData.length > maxUnits) lines.push(fill(m.tiendoHistoryMore, { count: withData.length - maxUnits }));
  const sums = totals(v, withData.filter((w) => w.pred.kind === "WHOLE"), perUnit);
  if (sums.length) lines.push(...sums);
  return { lines, any: true, predecessors: all.length };
}

/** `/tiendo` for a unit: its own figures, then (for a unit formed from old ones) a few of theirs, with a button to all. */
export async function summaryWithHistory(v: ViewContext, unit: UnitRow): Promise<Reply[]> {
  const replies = await summaryView(v, unit);
  if (unit.valid_to !== null || replies.length === 0) return replies;
  const history = await historyLines(v, unit, SUMMARY_UNITS, SUMMARY_PER_UNIT);
  if (!history.any) return replies;
  const [first, ...rest] = replies;
  const buttons: Button[][] = [...(first!.buttons ?? []), safeButton(v.messages.tiendoButtonHistory, "h", unit.code)].filter((row) => row.length > 0);
  return [{ ...first!, text: fitText([first!.text, "", ...history.lines]), buttons }, ...rest];
}

/** `/tiendo lichsu [unit]` and its button: the old units' figures in full. */
export async function historyView(v: ViewContext, unit: UnitRow): Promise<Reply[]> {
  const m = v.messages;
  const history = await historyLines(v, unit, Number.POSITIVE_INFINITY, HISTORY_PER_UNIT);
  if (!history.any) {
    return [{ text: fill(history.predecessors ? m.tiendoHistoryNone : m.tiendoHistoryNoPredecessor, { unit: unit.name }) }];
  }
  const buttons = [safeButton(`📊 ${unit.name}`, "u", unit.code)].filter((row) => row.length > 0);
  return [{ text: fitText(history.lines), ...(buttons.length ? { buttons } : {}) }];
}
