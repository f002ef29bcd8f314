// «Tiến độ»: a unit's indicators (value, target, change, trend, rank among its siblings, the weakest units
// below), one indicator across the units below, the 25 essential services, exports to CSV and Excel, and
// the import of a report file. Reads through features/indicators (catalogue, queries, ranking, the
// importer's validator); every unit asked for by URL is checked with the policy first.
import type { FastifyInstance, FastifyReply } from "fastify";
import writeXlsxFile from "write-excel-file/node";
import { loadCatalog, label, type IndicatorDef } from "../features/indicators/catalog.ts";
import { formatNumber, formatPercent } from "../features/indicators/numbers.ts";
import { isStale, periodLabel, type PeriodKind } from "../features/indicators/periods.ts";
import { childUnits, childValuesAt, childValuesLatest, rankRows, score, unitFigures, unitsByCode, type UnitFigure, type UnitRow, type ValueRow } from "../features/indicators/query.ts";
import { listedFor, shortValue, valueText } from "../features/indicators/views.ts";
import { unitPaths } from "../security/policy.ts";
import { barChart, lineChart, type ChartBar } from "./charts.ts";
import { allowedOn, homeUnit, signedIn, sendPage, type ConsoleContext, type Signed } from "./context.ts";
import { html, notice, raw, type Html } from "./html.ts";
import { registerImport } from "./import.ts";

const HISTORY_POINTS = 12;

function when(row: Pick<ValueRow, "period_kind" | "period" | "period_end">): string {
  return periodLabel(row.period_kind as PeriodKind, row.period, row.period_end);
}

function change(def: IndicatorDef, f: UnitFigure): { text: string; cls: string } | null {
  if (!f.previous) return null;
  const a = def.kind === "count" ? f.latest.numerator : f.latest.rate;
  const b = def.kind === "count" ? f.previous.numerator : f.previous.rate;
  if (a === null || b === null) return null;
  const d = a - b;
  const better = def.higherIsBetter ? d > 0 : d < 0;
  const text = def.kind === "count" ? `${d > 0 ? "+" : d < 0 ? "−" : "±"}${formatNumber(Math.abs(d))}` : `${d > 0 ? "+" : d < 0 ? "−" : "±"}${formatNumber(Math.abs(d), 1)} điểm %`;
  return { text: `${text} so với ${when(f.previous)}`, cls: Math.abs(d) < 1e-9 ? "" : better ? "up" : "down" };
}

function target(def: IndicatorDef, row: ValueRow): string {
  if (def.kind !== "target" || row.denominator === null) return "—";
  return `${formatNumber(row.denominator)}${def.counts ? ` ${def.counts}` : ""}`;
}

/** The unit of the query (?u=), or the user's own highest unit; null after sending a refusal. */
async function unitOf(c: ConsoleContext, reply: FastifyReply, signed: Signed, query: unknown, active = "progress"): Promise<UnitRow | null> {
  const asked = typeof (query as Record<string, unknown>).u === "string" ? String((query as Record<string, unknown>).u).slice(0, 40) : undefined;
  const code = asked ?? homeUnit(signed, "indicators.view", await unitPaths(c.prisma, signed.user.roles.map((r) => r.unitCode)));
  if (!(await allowedOn(c, reply, signed, "indicators.view", code, active))) return null;
  return (await unitsByCode(c.prisma, [code!])).get(code!) ?? null;
}

/** Home › Province › Commune: links to the units above that the user may see. */
async function crumbs(c: ConsoleContext, signed: Signed, unit: UnitRow): Promise<Html> {
  const codes = unit.path.split("/").filter(Boolean);
  const [units, paths] = await Promise.all([unitsByCode(c.prisma, codes), unitPaths(c.prisma, signed.user.roles.map((r) => r.unitCode))]);
  const mine = [...paths.values()];
  const items = codes.map((code) => {
    const u = units.get(code);
    if (!u) return html``;
    const visible = mine.some((p) => u.path.startsWith(p));
    if (code === unit.code) return html`<li aria-current="page">${u.name}</li>`;
    return visible ? html`<li><a href="/console/tien-do?u=${encodeURIComponent(code)}">${u.name}</a></li>` : html`<li>${u.name}</li>`;
  });
  return html`<nav aria-label="Vị trí đơn vị"><ol class="crumbs">${items}</ol></nav>`;
}

async function history(c: ConsoleContext, unitCode: string, figures: Map<string, UnitFigure>): Promise<Map<string, ValueRow[]>> {
  const rows = await c.prisma.indicatorValue.findMany({
    where: { unitCode, indicatorCode: { in: [...figures.keys()] }, supersededAt: null },
    orderBy: { periodEnd: "asc" },
    select: { unitCode: true, indicatorCode: true, periodKind: true, period: true, periodEnd: true, numerator: true, denominator: true, rate: true, reportedRate: true },
  });
  const out = new Map<string, ValueRow[]>();
  for (const r of rows) {
    if (r.periodKind !== figures.get(r.indicatorCode)?.latest.period_kind) continue;
    const list = out.get(r.indicatorCode) ?? [];
    list.push({ unit_code: r.unitCode, indicator_code: r.indicatorCode, period_kind: r.periodKind, period: r.period, period_end: r.periodEnd, numerator: r.numerator, denominator: r.denominator, rate: r.rate, reported_rate: r.reportedRate });
    out.set(r.indicatorCode, list);
  }
  for (const [k, list] of out) out.set(k, list.slice(-HISTORY_POINTS));
  return out;
}

function points(def: IndicatorDef, rows: ValueRow[]) {
  return rows.flatMap((r) => {
    const s = score(def, r);
    return s === null ? [] : [{ label: when(r), value: s, valueLabel: shortValue(def, r) }];
  });
}

const unitLink = (u: Pick<UnitRow, "code" | "name">) => html`<a href="/console/tien-do?u=${encodeURIComponent(u.code)}">${u.name}</a>`;
const indicatorLink = (def: IndicatorDef, unitCode: string) =>
  html`<a href="/console/tien-do/chi-tieu?u=${encodeURIComponent(unitCode)}&amp;i=${encodeURIComponent(def.code)}">${label(def)}</a>`;

function exportLinks(unit: UnitRow, indicator?: string): Html {
  const q = `u=${encodeURIComponent(unit.code)}${indicator ? `&i=${encodeURIComponent(indicator)}` : ""}`;
  return html`<p class="actions"><a class="button quiet" href="/console/tien-do/xuat.xlsx?${q}" download>Tải Excel (.xlsx)</a>
<a class="button quiet" href="/console/tien-do/xuat.csv?${q}" download>Tải CSV</a></p>`;
}

interface Summary {
  unit: UnitRow;
  shown: IndicatorDef[];
  figures: Map<string, UnitFigure>;
  siblings: ValueRow[];
  children: ValueRow[];
  kids: UnitRow[];
}

async function summary(c: ConsoleContext, unit: UnitRow, defs?: IndicatorDef[]): Promise<Summary> {
  const catalog = loadCatalog();
  const figures = await unitFigures(c.prisma, unit.code, defs?.map((d) => d.code));
  // Ended indicators (history) are not listed for a unit in force, as in /tiendo.
  const now = new Date();
  const withData = catalog.list.filter((d) => figures.has(d.code) && listedFor(d, unit, now) && (defs ? defs.includes(d) : d.service === undefined));
  const shown = [...withData.filter((d) => d.key), ...withData.filter((d) => !d.key)];
  const pairs = shown.map((d) => ({ indicator: d.code, period: figures.get(d.code)!.latest.period }));
  const [siblings, children, kids] = await Promise.all([
    unit.parent_code ? childValuesAt(c.prisma, unit.parent_code, pairs) : Promise.resolve([]),
    childValuesAt(c.prisma, unit.code, pairs),
    childUnits(c.prisma, unit.code),
  ]);
  return { unit, shown, figures, siblings, children, kids };
}

function rankOf(def: IndicatorDef, rows: ValueRow[], unitCode: string, period: string) {
  const ranked = rankRows(def, rows.filter((r) => r.indicator_code === def.code && r.period === period));
  const mine = ranked.find((r) => r.row.unit_code === unitCode);
  return mine && ranked.length > 1 ? { rank: mine.rank, total: ranked.length } : null;
}

async function progressPage(c: ConsoleContext, signed: Signed, unit: UnitRow): Promise<Html> {
  const s = await summary(c, unit);
  const top = await crumbs(c, signed, unit);
  const kidsByCode = new Map(s.kids.map((k) => [k.code, k]));
  const parent = unit.parent_code ? (await unitsByCode(c.prisma, [unit.parent_code])).get(unit.parent_code) : undefined;
  const drill = s.kids.length
    ? html`<h2 id="duoi">Đơn vị trực thuộc (${s.kids.length})</h2>
<p>${s.kids.slice(0, 400).map((k, i) => html`${i ? " · " : ""}${unitLink(k)}`)}</p>`
    : "";
  if (s.shown.length === 0) {
    return html`${top}${notice("info", `Chưa có số liệu của ${unit.name}.`)}${drill}<p><a href="/console/nhap">Nhập số liệu từ tệp báo cáo</a></p>`;
  }
  const hist = await history(c, unit.code, s.figures);
  const now = new Date();
  let stale = false;
  const rows = s.shown.map((def) => {
    const f = s.figures.get(def.code)!;
    const ch = change(def, f);
    const rank = rankOf(def, s.siblings, unit.code, f.latest.period);
    const ranked = rankRows(def, s.children.filter((r) => r.indicator_code === def.code));
    const weakest = ranked.length >= 2 ? ranked.slice(-3).reverse() : [];
    const old = isStale(f.latest.period_kind as PeriodKind, f.latest.period_end, now);
    stale ||= old;
    const spark = points(def, hist.get(def.code) ?? []);
    return html`<tr>
<th scope="row">${indicatorLink(def, unit.code)}</th>
<td class="num">${valueText(def, f.latest)}</td>
<td>${when(f.latest)}${old ? html` <span class="late">(cũ)</span>` : ""}</td>
<td class="num">${target(def, f.latest)}</td>
<td>${ch ? html`<span class="${ch.cls}">${ch.text}</span>` : "—"}</td>
<td>${spark.length > 1 ? raw(lineChart({ title: `${label(def)} qua các kỳ`, points: spark, small: true })) : "—"}</td>
<td class="num">${rank ? `${rank.rank}/${rank.total}` : "—"}</td>
<td>${weakest.length ? weakest.map((w, i) => html`${i ? ", " : ""}${kidsByCode.get(w.row.unit_code) ? unitLink(kidsByCode.get(w.row.unit_code)!) : w.row.unit_code} ${shortValue(def, w.row)}`) : "—"}</td>
</tr>`;
  });
  // The headline chart: the first shown indicator that at least two units below reported.
  const headline = s.shown.find((d) => rankRows(d, s.children.filter((r) => r.indicator_code === d.code)).length >= 2);
  let chart: Html = html``;
  if (headline) {
    const own = s.figures.get(headline.code)!.latest;
    chart = html`<h2>${label(headline)}: các đơn vị trực thuộc, ${when(own)}</h2>
${raw(childrenChart(headline, rankRows(headline, s.children.filter((r) => r.indicator_code === headline.code)), kidsByCode, unit, own))}
<p><a href="/console/tien-do/chi-tieu?u=${encodeURIComponent(unit.code)}&amp;i=${encodeURIComponent(headline.code)}">Xem bảng xếp hạng đầy đủ</a></p>`;
  }
  const hasServices = loadCatalog().services.length > 0;
  return html`${top}
<p class="lead">Số liệu mới nhất của ${unit.name}${parent ? html`; hạng là thứ hạng trong ${parent.name}` : ""}. Bấm tên chỉ tiêu để xem từng đơn vị trực thuộc và xu hướng.</p>
${exportLinks(unit)}
<div class="table-wrap"><table>
<caption>Chỉ tiêu của ${unit.name}</caption>
<thead><tr><th scope="col">Chỉ tiêu</th><th scope="col" class="num">Kết quả</th><th scope="col">Kỳ</th><th scope="col" class="num">Chỉ tiêu giao</th><th scope="col">Thay đổi</th><th scope="col">Xu hướng</th><th scope="col" class="num">Hạng</th><th scope="col">Yếu nhất bên dưới</th></tr></thead>
<tbody>${rows}</tbody></table></div>
${stale ? notice("info", "«(cũ)»: số liệu của kỳ đã qua lâu, cần báo cáo kỳ mới.") : ""}
<p>${hasServices ? html`<a class="button quiet" href="/console/tien-do/dvc?u=${encodeURIComponent(unit.code)}">Bảng 25 dịch vụ công thiết yếu</a> ` : ""}<a class="button quiet" href="/console/nhap">Nhập số liệu từ tệp báo cáo</a></p>
${chart}
${drill}`;
}

function childrenChart(def: IndicatorDef, ranked: ReturnType<typeof rankRows>, names: Map<string, UnitRow>, unit: UnitRow, own?: ValueRow): string {
  const drawn = ranked.length > 40 ? ranked.slice(-40) : ranked;
  const ownScore = own ? score(def, own) : null;
  const reference =
    def.kind === "target" ? { value: 100, label: "100% chỉ tiêu" } : ownScore !== null && def.kind === "share" ? { value: ownScore, label: `${unit.name}: ${formatPercent(ownScore)}` } : undefined;
  const bars: ChartBar[] = drawn.map((r) => ({
    label: names.get(r.row.unit_code)?.name ?? r.row.unit_code,
    value: r.score,
    valueLabel: shortValue(def, r.row),
    highlight: reference ? (def.higherIsBetter ? r.score < reference.value : r.score > reference.value) : false,
  }));
  const top = Math.max(...bars.map((b) => b.value), reference?.value ?? 0);
  return barChart({
    title: `${label(def)}${drawn.length < ranked.length ? ` (${drawn.length} đơn vị thấp nhất trong ${ranked.length})` : ""}`,
    bars,
    max: def.kind === "share" ? Math.min(100, Math.max(top * 1.1, 1)) : top * 1.1,
    ...(reference ? { reference } : {}),
  });
}

async function indicatorPage(c: ConsoleContext, signed: Signed, unit: UnitRow, def: IndicatorDef): Promise<Html> {
  const [rows, kids, own] = await Promise.all([childValuesLatest(c.prisma, unit.code, def.code), childUnits(c.prisma, unit.code), unitFigures(c.prisma, unit.code, [def.code])]);
  const names = new Map(kids.map((k) => [k.code, k]));
  const ranked = rankRows(def, rows);
  const reported = new Set(rows.map((r) => r.unit_code));
  const missing = kids.filter((k) => !reported.has(k.code));
  const ownRow = own.get(def.code)?.latest;
  const hist = ownRow ? (await history(c, unit.code, own)).get(def.code) ?? [] : [];
  const trend = points(def, hist);
  const top = await crumbs(c, signed, unit);
  const period = rows[0] ? when(rows[0]) : "";
  return html`${top}
<p class="lead">${def.name}.</p>
${ownRow ? html`<p>${unit.name}: <strong>${valueText(def, ownRow)}</strong>, ${when(ownRow)}.</p>` : ""}
${trend.length > 1 ? raw(lineChart({ title: `${label(def)} của ${unit.name} qua các kỳ`, points: trend, ...(def.kind === "share" ? { max: 100 } : {}) })) : ""}
${exportLinks(unit, def.code)}
${ranked.length
    ? html`<h2>Các đơn vị trực thuộc, ${period}</h2>
${raw(childrenChart(def, ranked, names, unit, ownRow && rows[0] && ownRow.period === rows[0].period ? ownRow : undefined))}
<div class="table-wrap"><table><caption>${label(def)}: xếp hạng ${ranked.length} đơn vị, ${period}</caption>
<thead><tr><th scope="col" class="num">Hạng</th><th scope="col">Đơn vị</th><th scope="col" class="num">Kết quả</th><th scope="col" class="num">Chỉ tiêu giao</th></tr></thead>
<tbody>${ranked.map((r) => {
        const k = names.get(r.row.unit_code);
        return html`<tr><td class="num">${r.rank}</td><th scope="row">${k ? unitLink(k) : r.row.unit_code}</th><td class="num">${valueText(def, r.row)}</td><td class="num">${target(def, r.row)}</td></tr>`;
      })}</tbody></table></div>`
    : notice("info", `Các đơn vị trực thuộc ${unit.name} chưa báo cáo chỉ tiêu này.`)}
${missing.length ? html`<p>Chưa báo cáo (${missing.length}): ${missing.map((k, i) => html`${i ? ", " : ""}${unitLink(k)}`)}.</p>` : ""}`;
}

async function servicesPage(c: ConsoleContext, signed: Signed, unit: UnitRow): Promise<Html> {
  const catalog = loadCatalog();
  const aggregate = ["dvc25_tong", "dvc25_cong_an", "dvc25_nganh"].flatMap((code) => (catalog.byCode.has(code) ? [catalog.byCode.get(code)!] : []));
  const services = catalog.services.filter((d) => listedFor(d, unit, new Date()));
  const defs = [...services, ...aggregate];
  const s = await summary(c, unit, defs);
  const top = await crumbs(c, signed, unit);
  const row = (def: IndicatorDef) => {
    const f = s.figures.get(def.code);
    if (!f) return html`<tr><td class="num">${def.service ?? ""}</td><th scope="row">${label(def)}</th><td class="num">—</td><td>—</td><td>—</td><td class="num">—</td></tr>`;
    const ch = change(def, f);
    const rank = rankOf(def, s.siblings, unit.code, f.latest.period);
    const weak = f.latest.rate !== null && f.latest.rate < 50;
    return html`<tr${weak ? html` class="warn"` : ""}><td class="num">${def.service ?? ""}</td><th scope="row">${indicatorLink(def, unit.code)}</th><td class="num">${valueText(def, f.latest)}</td><td>${when(f.latest)}</td><td>${ch ? html`<span class="${ch.cls}">${ch.text}</span>` : "—"}</td><td class="num">${rank ? `${rank.rank}/${rank.total}` : "—"}</td></tr>`;
  };
  const head = html`<thead><tr><th scope="col" class="num">STT</th><th scope="col">Dịch vụ</th><th scope="col" class="num">Hồ sơ trực tuyến</th><th scope="col">Kỳ</th><th scope="col">Thay đổi</th><th scope="col" class="num">Hạng</th></tr></thead>`;
  return html`${top}
<p class="lead">Tỷ lệ hồ sơ nộp trực tuyến của từng dịch vụ công thiết yếu. Dòng tô vàng: dưới 50%.</p>
${exportLinks(unit, "dvc")}
<div class="table-wrap"><table><caption>25 dịch vụ công thiết yếu – ${unit.name}</caption>${head}<tbody>${services.map(row)}</tbody></table></div>
${aggregate.length ? html`<div class="table-wrap"><table><caption>Tổng hợp</caption>${head}<tbody>${aggregate.map(row)}</tbody></table></div>` : ""}`;
}

// ── Export ───────────────────────────────────────────────────────────────────────────────────

interface ExportRow {
  unitCode: string;
  unitName: string;
  def: IndicatorDef;
  row: ValueRow;
  rank: number | null;
}

/** The unit's own figures and those of the units directly below, at the unit's latest period of each. */
async function exportRows(c: ConsoleContext, unit: UnitRow, indicator: string | undefined): Promise<ExportRow[]> {
  const catalog = loadCatalog();
  const defs = indicator === "dvc" ? catalog.services : indicator && catalog.byCode.has(indicator) ? [catalog.byCode.get(indicator)!] : undefined;
  const s = await summary(c, unit, defs);
  const names = new Map(s.kids.map((k) => [k.code, k.name]));
  const out: ExportRow[] = [];
  for (const def of s.shown) {
    const own = s.figures.get(def.code)!.latest;
    out.push({ unitCode: unit.code, unitName: unit.name, def, row: own, rank: null });
    for (const r of rankRows(def, s.children.filter((v) => v.indicator_code === def.code))) {
      out.push({ unitCode: r.row.unit_code, unitName: names.get(r.row.unit_code) ?? r.row.unit_code, def, row: r.row, rank: r.rank });
    }
  }
  return out;
}

// Headers the figures importer reads back (Mã đơn vị, Kỳ báo cáo, Mã chỉ tiêu, Tử số, Mẫu số, Tỷ lệ báo
// cáo), so an exported file, corrected, can be imported again; the other columns are ignored by it.
const EXPORT_HEADERS = ["Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo", "Mã chỉ tiêu", "Tên chỉ tiêu", "Tử số", "Mẫu số", "Tỷ lệ báo cáo", "Hạng trong đơn vị cấp trên"];

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) || /^[=+\-@]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function toCsv(rows: ExportRow[]): string {
  const lines = [EXPORT_HEADERS.join(",")];
  for (const r of rows) {
    const rate = r.def.kind === "count" || r.row.rate === null ? "" : r.row.rate.toFixed(2).replace(".", ",");
    lines.push(
      [r.unitCode, r.unitName, r.row.period, r.def.code, r.def.name, String(r.row.numerator), r.row.denominator === null ? "" : String(r.row.denominator), rate, r.rank === null ? "" : String(r.rank)]
        .map(csvCell)
        .join(","),
    );
  }
  // A BOM: Excel on Windows then opens the file as UTF-8 (Vietnamese letters intact).
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

async function toXlsx(rows: ExportRow[], sheet: string): Promise<Buffer> {
  const header = EXPORT_HEADERS.map((h) => ({ value: h, fontWeight: "bold" as const }));
  const data = rows.map((r) => [
    { type: String, value: r.unitCode },
    { type: String, value: r.unitName },
    { type: String, value: r.row.period },
    { type: String, value: r.def.code },
    { type: String, value: r.def.name },
    { type: Number, value: r.row.numerator },
    r.row.denominator === null ? null : { type: Number, value: r.row.denominator },
    r.def.kind === "count" || r.row.rate === null ? null : { type: Number, value: Math.round(r.row.rate * 100) / 100, format: "0.00" },
    r.rank === null ? null : { type: Number, value: r.rank },
  ]);
  return writeXlsxFile([header, ...data], { sheet: sheet.slice(0, 31).replace(/[\\/?*[\]:]/g, " "), columns: [{ width: 12 }, { width: 30 }, { width: 12 }, { width: 22 }, { width: 50 }, { width: 12 }, { width: 12 }, { width: 14 }, { width: 10 }] }).toBuffer();
}

export function registerProgress(app: FastifyInstance, c: ConsoleContext): void {
  app.get("/console/tien-do", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    const unit = await unitOf(c, reply, signed, request.query);
    if (!unit) return reply;
    return sendPage(c, reply, { title: `Tiến độ: ${unit.name}`, active: "progress", signed, body: await progressPage(c, signed, unit) });
  });

  app.get("/console/tien-do/chi-tieu", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    const unit = await unitOf(c, reply, signed, request.query);
    if (!unit) return reply;
    const def = loadCatalog().byCode.get(String((request.query as Record<string, unknown>).i ?? ""));
    if (!def) return sendPage(c, reply, { title: "Không có chỉ tiêu này", status: 404, active: "progress", signed, body: html`<p><a href="/console/tien-do?u=${encodeURIComponent(unit.code)}">Về trang tiến độ</a></p>` });
    return sendPage(c, reply, { title: `${label(def)}: ${unit.name}`, active: "progress", signed, body: await indicatorPage(c, signed, unit, def) });
  });

  app.get("/console/tien-do/dvc", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    const unit = await unitOf(c, reply, signed, request.query);
    if (!unit) return reply;
    return sendPage(c, reply, { title: `25 dịch vụ công thiết yếu: ${unit.name}`, active: "progress", signed, body: await servicesPage(c, signed, unit) });
  });

  for (const format of ["csv", "xlsx"] as const) {
    app.get(`/console/tien-do/xuat.${format}`, async (request, reply) => {
      const signed = await signedIn(c, request, reply);
      if (!signed) return reply;
      const unit = await unitOf(c, reply, signed, request.query);
      if (!unit) return reply;
      const indicator = (request.query as Record<string, unknown>).i;
      const rows = await exportRows(c, unit, typeof indicator === "string" ? indicator : undefined);
      const day = new Date().toISOString().slice(0, 10);
      const name = `tien-do-${unit.code}-${day}.${format}`;
      reply.header("content-disposition", `attachment; filename="${name}"`).header("cache-control", "no-store").header("x-content-type-options", "nosniff");
      if (format === "csv") return reply.type("text/csv; charset=utf-8").send(toCsv(rows));
      return reply.type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").send(await toXlsx(rows, unit.name));
    });
  }

  registerImport(app, c);
}
