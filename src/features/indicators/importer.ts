// Importing figures: CSV, Excel (.xlsx) and JSON rows share one validation and one bulk write.
//
// Columns: unit_code, period, indicator, numerator, denominator, reported_rate (extra columns ignored).
// Every problem is reported per row with its line number and a Vietnamese message; nothing is fixed
// silently. Hard errors reject the whole batch (nothing is written); a reported rate that differs from
// the computed one by more than 0.5 percentage points is a warning: the figures are imported, the
// computed rate is stored next to the reported one, and the warning shows both.
import { cellText, readCsv, readTableFile, type Cell, type RowError, type Table, type TableRow, type TableSpec } from "../../core/tabular.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { appliesTo, ensureCatalog, loadCatalog, type Catalog, type IndicatorDef } from "./catalog.ts";
import { computeRate, formatNumber, formatPercent, parseVietnameseNumber } from "./numbers.ts";
import { formatDate, parsePeriod, periodStart, type Period } from "./periods.ts";

/** Tolerance between a reported rate and the computed one, in percentage points. */
export const RATE_TOLERANCE = 0.5;

/** Figures as rows: a line in the file (the header is line 1), or a position in a JSON array (from 1). */
export type RawRow = TableRow<IndicatorColumn>;

export type { Cell, RowError };

export interface ValidRow {
  line: number;
  unitCode: string;
  indicator: IndicatorDef;
  period: Period;
  numerator: number;
  denominator: number | null;
  rate: number | null;
  reportedRate: number | null;
}

export type ValueSource = "IMPORT" | "API" | "OFFICER" | "DEMO";

export interface ImportOptions {
  source: ValueSource;
  /** Who entered the figures: "cli:admin", "api:<system>", "telegram:123"… */
  enteredBy: string;
  dryRun?: boolean;
  now?: Date;
  catalog?: Catalog;
  /** Rows per write statement (default 20,000; tests use small chunks). */
  chunkRows?: number;
}

export interface ImportResult {
  /** Rows read (valid or not). */
  rows: number;
  /** Rows written as new current values (0 on a dry run or when rejected). */
  imported: number;
  /** Earlier values these rows superseded. */
  superseded: number;
  /** Rows identical to the current value, left as they are. */
  unchanged: number;
  errors: RowError[];
  warnings: RowError[];
  dryRun: boolean;
}

type IndicatorColumn = "unit_code" | "period" | "indicator" | "numerator" | "denominator" | "reported_rate";

/** The columns of a figures file, with the Vietnamese headers of provincial spreadsheets ("Mã đơn vị", "Kỳ báo cáo", "Tử số"…). */
export const indicatorTable: TableSpec<IndicatorColumn> = {
  columns: {
    unit_code: ["unit", "ma_don_vi", "ma_dv"],
    period: ["ky", "ky_bao_cao"],
    indicator: ["chi_tieu", "ma_chi_tieu"],
    numerator: ["tu_so", "gia_tri"],
    denominator: ["mau_so", "chi_tieu_giao"],
    reported_rate: ["ty_le_bao_cao", "ty_le"],
  },
  required: ["unit_code", "period", "indicator", "numerator"],
  comments: true,
};

/** CSV text → rows. `#` at the start of a line makes it a comment; line numbers count it. */
export function parseIndicatorCsv(text: string): Table<IndicatorColumn> {
  return readCsv(text, indicatorTable);
}

/** A figures file: .csv, or the first sheet of an .xlsx workbook. */
export function readIndicatorFile(file: string): Promise<Table<IndicatorColumn>> {
  return readTableFile(file, indicatorTable);
}

const periodHint = "dạng 2024-03 (tháng), 2024-Q1 (quý), 2024 (năm) hoặc 2024-03-15 (số liệu tính đến ngày)";

/** A non-negative number, or an error message naming the column. */
function readAmount(cell: Cell, column: string, integer: boolean): { value?: number; error?: string } {
  const parsed = parseVietnameseNumber(typeof cell === "number" ? cell : cellText(cell));
  if (!parsed.ok) return { error: `${column}: ${parsed.reason === "trống" ? "để trống" : parsed.reason}` };
  if (parsed.value < 0) return { error: `${column} ${formatNumber(parsed.value, 4)} là số âm` };
  if (integer && !Number.isInteger(parsed.value)) {
    const text = cellText(cell);
    const hint = /^\d{1,3},\d{3}$/.test(text)
      ? ` — dấu phẩy là dấu thập phân; nếu ý là ${text.replace(",", ".")} thì viết ${text.replace(",", ".")} hoặc ${text.replace(",", "")}`
      : "";
    return { error: `${column} "${text}" phải là số nguyên${hint}` };
  }
  return { value: parsed.value };
}

const fmtAmount = (n: number) => formatNumber(n, 4);

const isoDay = (text: string) => formatDate(new Date(`${text}T00:00:00Z`));

/** Why an ended (or not yet started) indicator takes no figures for this period. */
function outsideValidity(def: IndicatorDef, period: Period): string {
  if (def.until && periodStart(period) > new Date(`${def.until}T00:00:00Z`)) {
    return (
      `chỉ tiêu "${def.code}" đã kết thúc sau ngày ${isoDay(def.until)} — ${def.ended ?? ""}; ` +
      `chỉ nhập được số liệu của các kỳ cũ, kỳ ${period.key} bắt đầu sau ngày đó`
    );
  }
  return `chỉ tiêu "${def.code}" áp dụng từ ngày ${isoDay(def.since!)}: kỳ ${period.key} kết thúc trước ngày đó`;
}

/**
 * Checks rows against the catalogue and the units in the database, collecting every problem. Writes
 * nothing. Rows may be checked in several calls (an import checks the next chunk while the database
 * writes the last one); duplicates are found across calls.
 */
interface KnownUnit {
  key: string;
  name: string;
  from: Date | null;
  to: Date | null;
}

export class RowValidator {
  readonly errors: RowError[] = [];
  readonly warnings: RowError[] = [];
  private readonly seen = new Map<string, number>();
  private readonly periods = new Map<string, Period | null>();

  private constructor(
    private readonly catalog: Catalog,
    private readonly units: Map<string, KnownUnit[]>,
  ) {}

  /**
   * Loads the units that `rows` name (one query per 20,000 codes): by key, or by official code, since a
   * code is unique per list edition only and the row's period tells which edition it means.
   */
  static async create(prisma: PrismaClient, rows: RawRow[], catalog: Catalog): Promise<RowValidator> {
    const codes = [...new Set(rows.map((r) => cellText(r.unit_code)).filter(Boolean))];
    const units = new Map<string, KnownUnit[]>();
    const add = (code: string, unit: KnownUnit) => {
      const list = units.get(code) ?? [];
      if (!list.some((u) => u.key === unit.key)) list.push(unit);
      units.set(code, list);
    };
    for (let i = 0; i < codes.length; i += 20_000) {
      const found = await prisma.$queryRawUnsafe<Array<{ code: string; official_code: string | null; name: string; valid_from: Date | null; valid_to: Date | null }>>(
        `WITH wanted AS (SELECT value FROM json_array_elements_text($1::json))
         SELECT code, official_code, name, valid_from, valid_to FROM admin_unit
         WHERE code IN (SELECT value FROM wanted) OR official_code IN (SELECT value FROM wanted)`,
        JSON.stringify(codes.slice(i, i + 20_000)),
      );
      for (const u of found) {
        const unit = { key: u.code, name: u.name, from: u.valid_from, to: u.valid_to };
        add(u.code, unit);
        if (u.official_code) add(u.official_code, unit);
      }
    }
    return new RowValidator(catalog, units);
  }

  /**
   * The unit a row means: the one with this key or official code whose validity covers the period's end
   * (44 in 2024 is the old Quảng Bình, 44 in 2026 is Quảng Trị), or a message saying why there is none.
   */
  private resolveUnit(code: string, period: Period | null): { key: string } | { error: string } {
    const candidates = this.units.get(code);
    if (!candidates?.length) return { error: `không có đơn vị mã "${code}" (nhập danh sách đơn vị trước: npm run admin -- import-units)` };
    if (!period) return { key: candidates[0]!.key };
    const day = period.end.getTime();
    const covering = candidates.filter((u) => (!u.from || u.from.getTime() <= day) && (!u.to || u.to.getTime() >= day));
    const exact = covering.find((u) => u.key === code);
    if (exact) return { key: exact.key };
    if (covering.length === 1) return { key: covering[0]!.key };
    if (covering.length > 1) return { error: `mã "${code}" ứng với nhiều đơn vị trong kỳ ${period.key}: ${covering.map((u) => u.key).join(", ")}` };
    const spans = candidates
      .map((u) => `"${u.name}" (${u.from ? `từ ${formatDate(u.from)}` : ""}${u.from && u.to ? " " : ""}${u.to ? `đến ${formatDate(u.to)}` : ""})`)
      .join(", ");
    return {
      error:
        `mã "${code}" là ${spans}, không có đơn vị nào mang mã này trong kỳ ${period.key}; số liệu không được gán sang đơn vị khác ` +
        `(nhập đơn vị cũ có valid_to trước: npm run admin -- import-units)`,
    };
  }

  /** The valid rows among `rows`; problems go to `errors` and `warnings`. */
  check(rows: RawRow[]): ValidRow[] {
    const valid: ValidRow[] = [];
    for (const row of rows) {
      const checked = this.checkRow(row);
      if (checked) valid.push(checked);
    }
    return valid;
  }

  /** Like check(), letting other work (a query in flight) run every `slice` rows. */
  async checkYielding(rows: RawRow[], slice = 2000): Promise<ValidRow[]> {
    const valid: ValidRow[] = [];
    for (let i = 0; i < rows.length; i += slice) {
      valid.push(...this.check(rows.slice(i, i + slice)));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return valid;
  }

  private checkRow(row: RawRow): ValidRow | undefined {
    const problems: string[] = [];
    const codeText = cellText(row.unit_code);
    if (!codeText) problems.push("thiếu mã đơn vị (unit_code)");

    const indicatorCode = cellText(row.indicator).toLowerCase();
    const indicator = this.catalog.byCode.get(indicatorCode);
    if (!indicatorCode) problems.push("thiếu mã chỉ tiêu (indicator)");
    else if (!indicator) problems.push(`không có chỉ tiêu "${cellText(row.indicator)}" trong danh mục (xem: npm run admin -- indicators)`);

    const periodText = cellText(row.period);
    let period = this.periods.get(periodText);
    if (period === undefined) this.periods.set(periodText, (period = parsePeriod(periodText)));
    if (!periodText) problems.push(`thiếu kỳ báo cáo (period), ${periodHint}`);
    else if (!period) problems.push(`kỳ "${periodText}" không hợp lệ, cần ${periodHint}`);
    if (indicator && period && !appliesTo(indicator, periodStart(period), period.end)) problems.push(outsideValidity(indicator, period));
    let unitCode = "";
    if (codeText) {
      const unit = this.resolveUnit(codeText, period);
      if ("error" in unit) problems.push(unit.error);
      else unitCode = unit.key;
    }

    const integer = indicator?.integer ?? true;
    const numerator = readAmount(row.numerator, "tử số (numerator)", integer);
    if (numerator.error) problems.push(numerator.error);

    const denominatorText = cellText(row.denominator);
    let denominator: number | null = null;
    if (indicator?.kind === "count") {
      if (denominatorText) problems.push(`chỉ tiêu "${indicator.code}" là số đếm, không có mẫu số: để trống cột denominator`);
    } else if (indicator) {
      const read = denominatorText ? readAmount(row.denominator, "mẫu số (denominator)", integer) : { error: `chỉ tiêu "${indicator.code}" cần mẫu số (denominator)` };
      if (read.error) problems.push(read.error);
      else denominator = read.value!;
    }

    const reportedText = cellText(row.reported_rate);
    let reportedRate: number | null = null;
    if (reportedText) {
      const parsed = parseVietnameseNumber(typeof row.reported_rate === "number" ? row.reported_rate : reportedText);
      if (!parsed.ok) problems.push(`tỷ lệ báo cáo (reported_rate): ${parsed.reason}`);
      else if (parsed.value < 0) problems.push(`tỷ lệ báo cáo ${reportedText} là số âm`);
      else reportedRate = parsed.value;
    }

    if (indicator && numerator.value !== undefined && denominator !== null) {
      if (indicator.kind === "share" && numerator.value > denominator) {
        problems.push(
          `tử số ${fmtAmount(numerator.value)} lớn hơn mẫu số ${fmtAmount(denominator)}: chỉ tiêu tỷ lệ không thể vượt 100% (hai cột có bị đảo không?)`,
        );
      } else if (denominator === 0 && numerator.value > 0) {
        problems.push(`mẫu số bằng 0 nhưng tử số là ${fmtAmount(numerator.value)}`);
      }
    }

    if (unitCode && indicator && period) {
      const key = `${unitCode}\u0000${indicator.code}\u0000${period.key}`;
      const first = this.seen.get(key);
      if (first !== undefined) problems.push(`trùng đơn vị, chỉ tiêu và kỳ với dòng ${first}`);
      else this.seen.set(key, row.line);
    }

    if (problems.length) {
      this.errors.push({ line: row.line, message: problems.join("; ") });
      return undefined;
    }
    const rate = denominator === null ? null : computeRate(numerator.value!, denominator);
    if (reportedRate !== null) {
      if (indicator!.kind === "count") {
        this.warnings.push({ line: row.line, message: `chỉ tiêu "${indicator!.code}" là số đếm, không có tỷ lệ: tỷ lệ báo cáo ${formatPercent(reportedRate, 2)} chỉ được lưu để đối chiếu` });
      } else if (rate === null) {
        // 0 of 0 written as "0%" is how reports say "nothing filed"; any other rate cannot be checked.
        if (reportedRate !== 0) this.warnings.push({ line: row.line, message: `mẫu số bằng 0 nên không tính được tỷ lệ; báo cáo ghi ${formatPercent(reportedRate, 2)}` });
      } else if (Math.abs(rate - reportedRate) > RATE_TOLERANCE) {
        this.warnings.push({
          line: row.line,
          message:
            `${unitCode} ${indicator!.code} ${period!.key}: tỷ lệ báo cáo ${formatPercent(reportedRate, 2)} khác tỷ lệ tính được ` +
            `${formatPercent(rate, 2)} (${formatNumber(numerator.value!)}/${formatNumber(denominator!)}); đã nhập theo tỷ lệ tính được`,
        });
      }
    }
    return { line: row.line, unitCode, indicator: indicator!, period: period!, numerator: numerator.value!, denominator, rate, reportedRate };
  }
}


/** Rows per SQL statement: a JSON document of a few MB, far from any parameter limit. */
const CHUNK = 20_000;
/** Longest an import's transaction may stay open (a million rows fit with room to spare). */
const IMPORT_TRANSACTION_MS = 10 * 60_000;

/**
 * One chunk of rows ($1, JSON): supersede the current value of each (unit, indicator, period) unless it is
 * identical, and insert the new one. $2 = timestamp, $3 = source, $4 = who.
 */
const WRITE_SQL = `WITH input AS (
     SELECT * FROM json_to_recordset($1::json) AS x(u text, i text, k text, p text, e date, n float8, d float8, r float8, rr float8)
   ), cur AS (
     SELECT input.*, v.id AS old_id,
       (v.numerator = input.n AND v.denominator IS NOT DISTINCT FROM input.d AND v.reported_rate IS NOT DISTINCT FROM input.rr) AS same
     FROM input LEFT JOIN indicator_value v
       ON v.unit_code = input.u AND v.indicator_code = input.i AND v.period = input.p AND v.superseded_at IS NULL
   ), old AS (
     UPDATE indicator_value v SET superseded_at = $2::timestamp FROM cur
     WHERE v.id = cur.old_id AND cur.same IS NOT TRUE RETURNING v.id
   ), ins AS (
     INSERT INTO indicator_value (unit_code, indicator_code, period_kind, period, period_end, numerator, denominator,
       rate, reported_rate, source, entered_by, created_at)
     SELECT u, i, k::"PeriodKind", p, e, n, d, r, rr, $3::"ValueSource", $4, $2::timestamp FROM cur WHERE same IS NOT TRUE
     ORDER BY u, i, p
     RETURNING 1
   )
   SELECT (SELECT count(*) FROM old)::int AS superseded, (SELECT count(*) FROM ins)::int AS inserted`;

type WriteTotals = { inserted: number; superseded: number };

const byIndexOrder = (a: ValidRow, b: ValidRow) =>
  a.unitCode < b.unitCode ? -1 : a.unitCode > b.unitCode ? 1 : a.indicator.code < b.indicator.code ? -1 : a.indicator.code > b.indicator.code ? 1 : a.period.key < b.period.key ? -1 : a.period.key > b.period.key ? 1 : 0;

/**
 * The JSON document of one chunk of rows, as WRITE_SQL reads it, in the order of the (unit, indicator,
 * period) index: lookups and inserts then walk the index instead of jumping around it (a quarter less
 * time for a file written indicator by indicator).
 */
function chunkDocument(rows: ValidRow[]): string {
  return JSON.stringify(
    [...rows].sort(byIndexOrder).map((r) => ({
      u: r.unitCode,
      i: r.indicator.code,
      k: r.period.kind,
      p: r.period.key,
      e: r.period.end.toISOString().slice(0, 10),
      n: r.numerator,
      d: r.denominator,
      r: r.rate,
      rr: r.reportedRate,
    })),
  );
}

class RejectedImport extends Error {}

/**
 * Validates, then (unless a dry run or an error) writes the valid rows as the current values,
 * superseding the previous current value of each (unit, indicator, period); rows identical to the
 * current value are left alone.
 *
 * One transaction, in chunks, validation overlapped with writing: while PostgreSQL writes chunk k, this
 * process checks chunk k+1 (most of an import's time is the database's, so the checking comes almost
 * free). The first hard error stops the writing; the remaining rows are still checked so that every
 * problem is listed, and the transaction is rolled back: nothing is written.
 */
export async function importRows(prisma: PrismaClient, rows: RawRow[], options: ImportOptions): Promise<ImportResult> {
  const catalog = options.catalog ?? loadCatalog();
  await ensureCatalog(prisma, catalog);
  const validator = await RowValidator.create(prisma, rows, catalog);
  const result = (written?: WriteTotals, valid = 0): ImportResult => ({
    rows: rows.length,
    imported: written?.inserted ?? 0,
    superseded: written?.superseded ?? 0,
    unchanged: written ? valid - written.inserted : 0,
    errors: validator.errors,
    warnings: validator.warnings,
    dryRun: Boolean(options.dryRun),
  });
  if (options.dryRun || rows.length === 0) {
    validator.check(rows);
    return result();
  }
  const now = (options.now ?? new Date()).toISOString();
  try {
    const { totals, valid } = await prisma.$transaction(
      async (tx) => {
        // One writer at a time: two imports of the same figures must not both leave a "current" value.
        await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(60601)");
        const totals: WriteTotals = { inserted: 0, superseded: 0 };
        let valid = 0;
        let inFlight: Promise<Array<{ superseded: number; inserted: number }>> | undefined;
        const settle = async () => {
          const [counts] = (await inFlight) ?? [];
          inFlight = undefined;
          totals.inserted += Number(counts?.inserted ?? 0);
          totals.superseded += Number(counts?.superseded ?? 0);
        };
        const chunk = options.chunkRows ?? CHUNK;
        for (let i = 0; i < rows.length; i += chunk) {
          const checked = await validator.checkYielding(rows.slice(i, i + chunk));
          valid += checked.length;
          if (validator.errors.length) continue; // keep checking, write nothing more
          const document = chunkDocument(checked);
          await settle();
          if (checked.length === 0) continue;
          // `.then` starts the query now; the next chunk is checked while it runs.
          inFlight = tx.$queryRawUnsafe<Array<{ superseded: number; inserted: number }>>(WRITE_SQL, document, now, options.source, options.enteredBy).then((r) => r);
          inFlight.catch(() => {}); // awaited in settle(); this only keeps it from counting as unhandled meanwhile
        }
        await settle();
        if (validator.errors.length) throw new RejectedImport();
        return { totals, valid };
      },
      // Prisma's default of 5 s is less than a 100,000-row import takes on a busy server.
      { timeout: IMPORT_TRANSACTION_MS, maxWait: 60_000 },
    );
    return result(totals, valid);
  } catch (error) {
    if (error instanceof RejectedImport) return result();
    throw error;
  }
}

export async function importIndicatorFile(prisma: PrismaClient, file: string, options: ImportOptions): Promise<ImportResult> {
  const { rows, errors } = await readIndicatorFile(file);
  if (errors.length) return { rows: rows.length, imported: 0, superseded: 0, unchanged: 0, errors, warnings: [], dryRun: Boolean(options.dryRun) };
  return importRows(prisma, rows, options);
}
