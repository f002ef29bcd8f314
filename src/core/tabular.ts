// One reader for the tables operators import: administrative units, their successions, plan tasks and
// indicator figures. CSV goes through csv-parse, .xlsx through read-excel-file; each importer declares its
// columns and the other header names that mean them, and every header is folded the same way (case,
// diacritics, spaces, "-", "_" and punctuation: "Mã đơn vị", "ma don vi" and "MA_DON_VI" are one header).
// Problems are RowError values with the line a spreadsheet shows (the header is line 1, comment and empty
// lines count); what a cell means is the importer's business.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CsvError, parse } from "csv-parse/sync";
import { foldDiacritics } from "./text.ts";

/** A cell as read: text from a CSV; text, a number, a boolean or a date from a spreadsheet. */
export type Cell = string | number | boolean | Date | null | undefined;

/** A problem with one row (line ≥ 1), or with the file as a whole (line 0). */
export interface RowError {
  line: number;
  message: string;
}

/** What an importer's table looks like. */
export interface TableSpec<K extends string> {
  /** Each column's key, and the other headers that mean it (written any way: they are folded like the file's). */
  columns: Readonly<Record<K, readonly string[]>>;
  /** Columns the file must have. */
  required: readonly K[];
  /** A line starting with "#" is a comment (the indicator files annotate their sources this way). */
  comments?: boolean;
}

/** One row: its line and the cells of the known columns (other columns are ignored). */
export type TableRow<K extends string> = { line: number } & Partial<Record<K, Cell>>;

export interface Table<K extends string> {
  rows: TableRow<K>[];
  /** Errors of the file or its header; when there are any, `rows` is empty. */
  errors: RowError[];
}

/** "Mã đơn vị (*)" → "ma_don_vi": how every header (and every alias) is compared. */
export function foldHeader(name: string): string {
  return foldDiacritics(name.normalize("NFC").trim())
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}

/** A cell as text: trimmed; a spreadsheet date as the day it shows (YYYY-MM-DD); empty for nothing. */
export function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return "";
  // read-excel-file gives a date typed into Excel as UTC midnight of the day it shows.
  if (cell instanceof Date) return cell.toISOString().slice(0, 10);
  return String(cell).trim();
}

/** "Dòng 12", or "Tệp" for a problem of the whole file: how the admin commands start each error line. */
export function rowLabel(line: number): string {
  return line > 0 ? `Dòng ${line}` : "Tệp";
}

/** Each error as "Dòng N: …", the way the import commands print them. */
export function rowErrorLines(errors: readonly RowError[]): string[] {
  return errors.map((e) => `${rowLabel(e.line)}: ${e.message}`);
}

function isEmpty(cells: readonly Cell[]): boolean {
  return cells.every((c) => cellText(c) === "");
}

/** Header cells → column positions, or the errors of the header line. */
function mapHeader<K extends string>(spec: TableSpec<K>, header: readonly Cell[], line: number): { columns: Array<[number, K]>; errors: RowError[] } {
  const byHeader = new Map<string, K>();
  for (const key of Object.keys(spec.columns) as K[]) {
    for (const name of [key, ...spec.columns[key]]) byHeader.set(foldHeader(name), key);
  }
  const columns: Array<[number, K]> = [];
  const errors: RowError[] = [];
  const seen = new Map<K, string>();
  header.forEach((cell, i) => {
    const name = cellText(cell);
    const key = byHeader.get(foldHeader(name));
    if (!key) return;
    const earlier = seen.get(key);
    // Two columns meaning the same thing: which one the file means is not for the reader to guess.
    if (earlier !== undefined) errors.push({ line, message: `hai cột "${earlier}" và "${name}" cùng là cột ${key}: giữ một cột` });
    else {
      seen.set(key, name);
      columns.push([i, key]);
    }
  });
  const missing = spec.required.filter((k) => !seen.has(k));
  if (missing.length) {
    errors.push({ line, message: `thiếu cột ${missing.join(", ")} (cần các cột ${Object.keys(spec.columns).join(",")})` });
  }
  return { columns, errors };
}

/** Header line + body lines → rows of the spec's columns. */
function toTable<K extends string>(spec: TableSpec<K>, records: Array<{ line: number; cells: readonly Cell[] }>): Table<K> {
  const [head, ...body] = records;
  if (!head) return { rows: [], errors: [{ line: 1, message: "tệp trống: không có dòng tiêu đề" }] };
  const { columns, errors } = mapHeader(spec, head.cells, head.line);
  if (errors.length) return { rows: [], errors };
  const rows = body.map(({ line, cells }) => {
    const row = { line } as TableRow<K>;
    for (const [i, key] of columns) (row as Partial<Record<K, Cell>>)[key] = cells[i];
    return row;
  });
  return { rows, errors: [] };
}

/** Line breaks inside a record's quoted cells (a record's line is where it starts, csv-parse counts where it ends). */
function breaksIn(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) {
    if (cell.indexOf("\n") === -1 && cell.indexOf("\r") === -1) continue;
    n += cell.split(/\r\n|\r|\n/).length - 1;
  }
  return n;
}

const csvMessages: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: "tệp CSV hỏng: dấu ngoặc kép không được đóng",
  CSV_INVALID_CLOSING_QUOTE: "tệp CSV hỏng: sau dấu ngoặc kép đóng phải là dấu phẩy hoặc hết dòng",
};

/**
 * CSV text (RFC 4180: "," between cells, "…" quoting with "" for a quote, LF or CRLF, an optional BOM) →
 * rows. Empty lines and lines of empty cells are skipped; unquoted cells are trimmed.
 */
export function readCsv<K extends string>(text: string, spec: TableSpec<K>): Table<K> {
  const records: Array<{ line: number; cells: string[] }> = [];
  // Where the last good record ended, and how many skipped lines csv-parse had counted by then: a broken
  // record is reported on the line it starts on, not where the parser gave up (the end of the file).
  let lastEnd = 0;
  let skippedAtLastEnd = 0;
  try {
    parse(text, {
      bom: true,
      ...(spec.comments ? { comment: "#", comment_no_infix: true } : {}),
      // Any line ending on any line: files pasted together mix them (csv-parse otherwise keeps the first one's).
      record_delimiter: ["\r\n", "\n", "\r"],
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      trim: true,
      on_record: (cells: string[], context) => {
        lastEnd = context.lines;
        skippedAtLastEnd = context.empty_lines + context.comment_lines;
        records.push({ line: context.lines - breaksIn(cells), cells });
        return null;
      },
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const context = error as CsvError & { lines?: number; empty_lines?: number; comment_lines?: number };
    const skipped = (context.empty_lines ?? 0) + (context.comment_lines ?? 0) - skippedAtLastEnd;
    const line = error.code === "CSV_QUOTE_NOT_CLOSED" ? lastEnd + 1 + Math.max(0, skipped) : (context.lines ?? lastEnd + 1);
    return { rows: [], errors: [{ line, message: csvMessages[error.code] ?? `tệp CSV không đọc được: ${error.message}` }] };
  }
  return toTable(spec, records);
}

/** The first sheet of an .xlsx workbook → rows; a row's line is the spreadsheet's row number. */
export async function readXlsx<K extends string>(data: Buffer, spec: TableSpec<K>): Promise<Table<K>> {
  // Loaded here, not on import: most processes that load the importers never read a workbook.
  const { readSheet } = await import("read-excel-file/node");
  let sheet: Cell[][];
  try {
    sheet = (await readSheet(data)) as Cell[][];
  } catch (error) {
    return { rows: [], errors: [{ line: 0, message: `không đọc được tệp Excel: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const records = sheet.flatMap((cells, i) => (isEmpty(cells) ? [] : [{ line: i + 1, cells }]));
  if (!records.length) return { rows: [], errors: [{ line: 1, message: "bảng tính trống" }] };
  return toTable(spec, records);
}

/** A file by its extension: .xlsx as a workbook, .xls refused with what to do, anything else as CSV (UTF-8). */
export async function readTableFile<K extends string>(file: string, spec: TableSpec<K>): Promise<Table<K>> {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".xlsx") return readXlsx(await readFile(file), spec);
  if (ext === ".xls") return { rows: [], errors: [{ line: 0, message: "tệp .xls (Excel 97–2003) không được hỗ trợ: lưu lại thành .xlsx hoặc .csv" }] };
  return readCsv(await readFile(file, "utf8"), spec);
}

/**
 * A row's cells as trimmed text ("" for an empty cell or an absent optional column), for a zod schema of
 * strings: its own Vietnamese messages then say what is missing.
 */
export function textRecord<K extends string>(spec: TableSpec<K>, row: TableRow<K>): Record<K, string> {
  const record = {} as Record<K, string>;
  for (const key of Object.keys(spec.columns) as K[]) record[key] = cellText(row[key]);
  return record;
}
