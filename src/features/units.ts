// Administrative units: CSV import (idempotent) and forgiving look-up by name or code.
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { readCsv, readTableFile, textRecord, type RowError, type Table, type TableSpec } from "../core/tabular.ts";
import { foldDiacritics } from "../core/text.ts";

export type { RowError };

export type UnitLevel = "PROVINCE" | "DISTRICT" | "COMMUNE" | "VILLAGE";

const levelAliases: Record<string, UnitLevel> = {
  province: "PROVINCE", tinh: "PROVINCE", "thanh pho truc thuoc trung uong": "PROVINCE",
  district: "DISTRICT", huyen: "DISTRICT", "thi xa": "DISTRICT", quan: "DISTRICT",
  commune: "COMMUNE", xa: "COMMUNE", phuong: "COMMUNE", "thi tran": "COMMUNE", "dac khu": "COMMUNE",
  village: "VILLAGE", thon: "VILLAGE", ap: "VILLAGE", ban: "VILLAGE", "to dan pho": "VILLAGE", khom: "VILLAGE",
};

const rank: Record<UnitLevel, number> = { PROVINCE: 0, DISTRICT: 1, COMMUNE: 2, VILLAGE: 3 };

export const unitRowSchema = z.object({
  code: z.string().trim().regex(/^[A-Za-z0-9_-]{1,32}$/, "mã đơn vị chỉ gồm chữ, số, - và _ (tối đa 32 ký tự)"),
  name: z.string().trim().min(1, "thiếu tên đơn vị").max(200),
  level: z
    .string()
    .trim()
    .transform((v, ctx) => {
      const level = levelAliases[foldDiacritics(v)];
      if (!level) ctx.addIssue({ code: "custom", message: `cấp "${v}" không hợp lệ (province, district, commune, village)` });
      return level ?? z.NEVER;
    }),
  parent_code: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined)),
  /** First and last day of the unit (YYYY-MM-DD or DD/MM/YYYY); a unit with valid_to is historical. */
  valid_from: z.string().trim().optional().transform((v, ctx) => parseDay(v, ctx, "valid_from")),
  valid_to: z.string().trim().optional().transform((v, ctx) => parseDay(v, ctx, "valid_to")),
});

/** "2025-06-30" or "30/06/2025" → "2025-06-30"; empty → undefined. */
function parseDay(value: string | undefined, ctx: z.RefinementCtx, field: string): string | undefined {
  if (!value) return undefined;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const vn = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : vn ? [vn[3], vn[2]!.padStart(2, "0"), vn[1]!.padStart(2, "0")] : [];
  const day = y ? `${y}-${m}-${d}` : "";
  if (!day || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    ctx.addIssue({ code: "custom", message: `${field} "${value}" không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY)` });
    return z.NEVER;
  }
  return day;
}

export type UnitRow = Omit<z.infer<typeof unitRowSchema>, "valid_from" | "valid_to"> & { valid_from?: string | undefined; valid_to?: string | undefined };

export interface UnitImportResult {
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

/** The columns of a unit file; headers may also be written in Vietnamese ("Mã đơn vị", "Cấp", "Mã đơn vị cha"…). */
export const unitTable: TableSpec<"code" | "name" | "level" | "parent_code" | "valid_from" | "valid_to"> = {
  columns: {
    code: ["ma", "ma_don_vi", "ma_dv"],
    name: ["ten", "ten_don_vi"],
    level: ["cap", "cap_hanh_chinh"],
    parent_code: ["parent", "ma_cha", "ma_don_vi_cha", "ma_don_vi_cap_tren"],
    valid_from: ["tu_ngay", "hieu_luc_tu"],
    valid_to: ["den_ngay", "hieu_luc_den"],
  },
  required: ["code", "name", "level"],
};

/** Rows of a unit table, each checked (line numbers count the header as line 1). */
function unitRows(table: Table<keyof typeof unitTable.columns>): { rows: Array<UnitRow & { line: number }>; errors: RowError[] } {
  const rows: Array<UnitRow & { line: number }> = [];
  const errors: RowError[] = [...table.errors];
  for (const row of table.rows) {
    const parsed = unitRowSchema.safeParse(textRecord(unitTable, row));
    if (parsed.success) rows.push({ ...parsed.data, line: row.line });
    else errors.push({ line: row.line, message: parsed.error.issues.map((i) => i.message).join("; ") });
  }
  return { rows, errors };
}

/** Reads a unit CSV: header `code,name,level,parent_code[,valid_from,valid_to]`. */
export function parseUnitsCsv(text: string): { rows: Array<UnitRow & { line: number }>; errors: RowError[] } {
  return unitRows(readCsv(text, unitTable));
}

/**
 * Creates or updates units. All rows are checked first (parents exist in the file or the database, a
 * parent is of a higher level, no duplicates); any error rejects the whole import.
 *
 * A row with `valid_to` is a unit of an ended list edition, keyed "<code>-<yyyymmdd>" (official codes are
 * unique per edition only); its parent is the unit of the same edition with that code. Imports never
 * rename a unit or move it to another parent in place: such a row is refused (a new edition of a unit is a
 * new unit with a succession, not an edit).
 */
export async function importUnits(
  prisma: PrismaClient,
  rows: Array<UnitRow & { line?: number }>,
  options: { dryRun?: boolean } = {},
): Promise<UnitImportResult> {
  const errors: RowError[] = [];
  const keyOf = (row: UnitRow) => (row.valid_to ? historicalKey(row.code, row.valid_to) : row.code);
  const byKey = new Map<string, UnitRow & { line?: number }>();
  for (const row of rows) {
    if (byKey.has(keyOf(row))) errors.push({ line: row.line ?? 0, message: `mã ${row.code} xuất hiện hai lần` });
    byKey.set(keyOf(row), row);
  }
  const existing = new Map(
    (
      await prisma.adminUnit.findMany({
        select: { code: true, name: true, level: true, parentCode: true, path: true, validFrom: true, validTo: true },
      })
    ).map((u) => [u.code, u]),
  );
  const levelOf = (key: string) => {
    const row = byKey.get(key);
    return row ? row.level : existing.get(key)?.level;
  };
  /** The parent's key: the same edition's unit for a historical row, else the unit with that key. */
  const parentKeyOf = (row: UnitRow): string | undefined => {
    if (!row.parent_code) return undefined;
    if (row.valid_to) {
      const sameEdition = historicalKey(row.parent_code, row.valid_to);
      if (levelOf(sameEdition)) return sameEdition;
    }
    return row.parent_code;
  };
  const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : undefined);
  for (const [key, row] of byKey) {
    const line = row.line ?? 0;
    if (row.valid_from && row.valid_to && row.valid_from > row.valid_to) {
      errors.push({ line, message: `${row.code}: valid_from ${row.valid_from} sau valid_to ${row.valid_to}` });
    }
    const parentKey = parentKeyOf(row);
    if (!parentKey) {
      if (row.level !== "PROVINCE") errors.push({ line, message: `${row.code}: đơn vị cấp dưới phải có parent_code` });
    } else {
      const parentLevel = levelOf(parentKey);
      if (!parentLevel) errors.push({ line, message: `${row.code}: không tìm thấy đơn vị cha ${row.parent_code}` });
      else if (rank[parentLevel] >= rank[row.level]) {
        errors.push({ line, message: `${row.code}: đơn vị cha ${row.parent_code} phải ở cấp cao hơn` });
      }
    }
    const before = existing.get(key);
    if (before && (before.name !== row.name || before.level !== row.level || (before.parentCode ?? undefined) !== parentKey)) {
      const since = day(before.validFrom);
      errors.push({
        line,
        message:
          `${row.code}: mã này đang là "${before.name}"${since ? ` (từ ${since})` : ""}; không đổi tên, cấp hoặc đơn vị cha tại chỗ` +
          ` — đơn vị đã thôi tồn tại ghi valid_to (ví dụ 2025-06-30)`,
      });
    }
  }
  if (errors.length) return { created: 0, updated: 0, unchanged: 0, errors };

  // Parents before children, so every path can be computed from an already-known parent path.
  const ordered = [...byKey].sort((a, b) => rank[a[1].level] - rank[b[1].level]);
  const paths = new Map([...existing].map(([code, u]) => [code, u.path]));
  const result: UnitImportResult = { created: 0, updated: 0, unchanged: 0, errors: [] };
  const writes = [];
  for (const [key, row] of ordered) {
    const parentKey = parentKeyOf(row);
    const path = `${parentKey ? paths.get(parentKey)! : "/"}${key}/`;
    paths.set(key, path);
    const data = {
      officialCode: row.code,
      name: row.name,
      nameFolded: foldUnitName(row.name),
      level: row.level,
      parentCode: parentKey ?? null,
      path,
      validFrom: row.valid_from ? new Date(`${row.valid_from}T00:00:00Z`) : null,
      validTo: row.valid_to ? new Date(`${row.valid_to}T00:00:00Z`) : null,
    };
    const before = existing.get(key);
    if (!before) result.created++;
    else if (before.path === path && day(before.validFrom) === row.valid_from && day(before.validTo) === row.valid_to) {
      result.unchanged++;
      continue;
    } else result.updated++;
    writes.push(prisma.adminUnit.upsert({ where: { code: key }, create: { code: key, ...data }, update: data }));
  }
  if (!options.dryRun) await prisma.$transaction(writes);
  return result;
}

export async function importUnitsFile(prisma: PrismaClient, file: string, options: { dryRun?: boolean } = {}): Promise<UnitImportResult> {
  const { rows, errors } = unitRows(await readTableFile(file, unitTable));
  if (errors.length) return { created: 0, updated: 0, unchanged: 0, errors };
  return importUnits(prisma, rows, options);
}

/** The key of a unit of an ended list edition: "<official code>-<yyyymmdd of its last day>". */
export function historicalKey(officialCode: string, validTo: string): string {
  return `${officialCode}-${validTo.replace(/-/g, "")}`;
}

const unitPrefixes = /^(tinh|thanh pho|tp|huyen|quan|thi xa|tx|xa|phuong|thi tran|tt|dac khu|thon|ap|ban|to dan pho)\s+/;
/** The words a unit's name starts with (folded), from province to village. */
const levelWords = [
  "tinh", "thanh pho", "huyen", "quan", "thi xa", "xa", "phuong", "thi tran", "dac khu",
  "thon", "ap", "ban", "buon", "lang", "xom", "khom", "khu pho", "khu", "to dan pho", "to", "soc", "plei", "kon",
];

export function foldUnitName(name: string): string {
  return foldDiacritics(name).replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim();
}

export interface UnitSummary {
  code: string;
  name: string;
  level: UnitLevel;
  path: string;
  parentCode: string | null;
  /** Last day of a historical unit; null for a unit in force. */
  validTo: Date | null;
  /** Set when this unit was found through an old unit it succeeded. */
  formerly?: FormerUnit;
}

export interface FormerUnit {
  code: string;
  name: string;
  /** "huyện Lệ Thủy, Quảng Bình": where the old unit was. */
  where: string;
  /** How many units the old one went into (more than one: it was split). */
  successorCount: number;
}

const select = { code: true, name: true, level: true, path: true, parentCode: true, validTo: true, formerContext: true } as const;
/** A unit row as searched: a summary's fields, and where a historical unit was ("huyện …, tỉnh …"). */
type UnitHit = Omit<UnitSummary, "formerly"> & { formerContext: string | null };

export interface FindUnitsOptions {
  /**
   * Keep historical units among the results (besides their successors): for figures, which stay on the
   * units they were reported for. Default: a historical unit is replaced by the unit(s) that succeeded it.
   */
  keepHistorical?: boolean;
}

/**
 * "Huyện Lệ Thủy, Tỉnh Quảng Bình" → "huyện Lệ Thủy, Quảng Bình" (an old place, as people say it), or
 * "Tỉnh Quảng Trị" → "tỉnh Quảng Trị" (a current one, in a sentence).
 */
function shortPlace(context: string, keepProvinceWord: boolean): string {
  return context
    .split(/\s*,\s*/)
    .filter(Boolean)
    .map((part) => (keepProvinceWord ? part : part.replace(/^Tỉnh\s+/, "")))
    .map((part) => part.replace(/^(Tỉnh|Huyện|Quận|Thị xã|Thành phố|Thị trấn)\s/, (w) => w.toLowerCase()))
    .join(", ");
}

/** Where a unit is, from its ancestors (nearest first): "huyện Lệ Thủy, Quảng Bình". */
async function placesOf(
  prisma: PrismaClient,
  units: Array<{ code: string; path: string; formerContext?: string | null }>,
  keepProvinceWord = false,
) {
  const chains = new Map(units.map((u) => [u.code, u.path.split("/").filter((c) => c && c !== u.code).reverse()]));
  const codes = [...new Set([...chains.values()].flat())];
  const names = new Map(
    (await prisma.adminUnit.findMany({ where: { code: { in: codes } }, select: { code: true, name: true } })).map((u) => [u.code, u.name]),
  );
  return new Map(
    units.map((u) => {
      const chain = chains.get(u.code)!.map((c) => names.get(c) ?? c);
      return [u.code, shortPlace(chain.length ? chain.join(", ") : (u.formerContext ?? ""), keepProvinceWord)];
    }),
  );
}

/**
 * Finds a unit by code or by name, forgiving case, diacritics and the "Xã/Huyện…" prefix, optionally only
 * inside a subtree. Returns every candidate when a name is ambiguous. Old names and codes (units of an
 * ended list) resolve to the units that succeeded them, each marked `formerly`; a split old unit gives
 * every successor, so the caller asks which one.
 */
export async function findUnits(
  prisma: PrismaClient,
  query: string,
  withinPath?: string,
  options: FindUnitsOptions = {},
): Promise<UnitSummary[]> {
  const trimmed = query.trim();
  if (!trimmed) return [];
  // Historical units are looked up everywhere: their successors may lie inside the subtree.
  const inside = withinPath ? { OR: [{ path: { startsWith: withinPath } }, { validTo: { not: null } }] } : {};
  let hits: UnitHit[] = [];
  // A key or an official code: one query on the two indexed columns, and only for text that can be a code
  // (a name with a space or a diacritic cannot), so a typed name costs no round trip here.
  if (/^[A-Za-z0-9_-]{1,40}$/.test(trimmed)) {
    const byCode = await prisma.adminUnit.findMany({
      where: { AND: [{ OR: [{ code: trimmed }, { officialCode: trimmed }] }, inside] },
      select: { ...select, officialCode: true },
      orderBy: { path: "asc" },
      take: 11,
    });
    const byKey = byCode.find((u) => u.code === trimmed);
    const official = byCode.filter((u) => u.officialCode === trimmed).slice(0, 10);
    const current = official.filter((u) => !u.validTo);
    hits = (byKey ? [byKey] : current.length ? current : official).map(({ officialCode: _o, ...u }) => u);
  }
  if (!hits.length) {
    const folded = foldUnitName(trimmed);
    const bare = folded.replace(unitPrefixes, "");
    // Folding keeps only letters, digits and spaces, so "%" and "_" never reach Prisma's LIKE patterns; a
    // query of nothing but such characters folds to "" and must not match every unit ("contains ''").
    if (!bare) return [];
    // "sen thuy" is "xa sen thuy", "phuong sen thuy"…: the name with each level word, all equalities on the
    // name_folded index (a suffix match, LIKE '% sen thuy', read the whole table: 8 ms of a 10 ms look-up).
    hits = await prisma.adminUnit.findMany({
      where: { ...inside, nameFolded: { in: [...new Set([folded, bare, ...levelWords.map((w) => `${w} ${bare}`)])] } },
      select,
      orderBy: [{ validTo: { sort: "desc", nulls: "first" } }, { path: "asc" }],
      take: 20,
    });
    if (!hits.length) {
      hits = await prisma.adminUnit.findMany({
        where: { ...inside, nameFolded: { contains: bare } },
        select,
        orderBy: [{ validTo: { sort: "desc", nulls: "first" } }, { path: "asc" }],
        take: 20,
      });
    }
  }
  const result = await withSuccessors(prisma, preferClosest(trimmed, hits), options);
  const within = withinPath ? result.filter((u) => u.path.startsWith(withinPath)) : result;
  return within.slice(0, 10);
}

/**
 * Among name hits, keeps those closest to what was typed: the same level word when one was typed
 * ("Phường Đồng Hới" is not "Xã Đông Hội"), then the same diacritics when they were typed.
 */
function preferClosest(query: string, hits: UnitHit[]): UnitHit[] {
  if (hits.length < 2) return hits;
  const folded = foldUnitName(query);
  const prefix = unitPrefixes.exec(folded)?.[1];
  let best = hits;
  if (prefix) {
    const sameLevel = best.filter((u) => foldUnitName(u.name).startsWith(`${prefix} `));
    if (sameLevel.length) best = sameLevel;
  }
  const accented = query.normalize("NFC").toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim();
  if (foldDiacritics(accented) !== accented) {
    const words = prefix ? accented.split(" ").slice(prefix.split(" ").length).join(" ") : accented;
    const sameMarks = best.filter((u) => {
      const name = u.name.normalize("NFC").toLowerCase();
      return name === words || name.endsWith(` ${words}`);
    });
    if (sameMarks.length) best = sameMarks;
  }
  return best;
}

const strip = ({ formerContext: _unused, ...unit }: UnitHit): UnitSummary => unit;

/** Replaces (or, with keepHistorical, accompanies) each historical hit with its successors. */
async function withSuccessors(prisma: PrismaClient, hits: UnitHit[], options: FindUnitsOptions): Promise<UnitSummary[]> {
  const old = hits.filter((u) => u.validTo);
  if (!old.length) return hits.map(strip);
  const links = await prisma.unitSuccession.findMany({
    where: { predecessorCode: { in: old.map((u) => u.code) } },
    select: { predecessorCode: true, successor: { select } },
    orderBy: { successorCode: "asc" },
  });
  const places = await placesOf(prisma, old);
  const out: UnitSummary[] = [];
  const seen = new Set<string>();
  const push = (u: UnitSummary) => {
    if (!seen.has(u.code)) {
      seen.add(u.code);
      out.push(u);
    }
  };
  for (const u of hits) if (!u.validTo) push(strip(u));
  for (const u of hits) {
    if (!u.validTo) continue;
    if (options.keepHistorical) push(strip(u));
    const next = links.filter((l) => l.predecessorCode === u.code);
    for (const link of next) {
      const formerly: FormerUnit = { code: u.code, name: u.name, where: places.get(u.code) ?? "", successorCount: next.length };
      push({ ...strip(link.successor as UnitHit), formerly });
    }
  }
  return out;
}

/**
 * "Xã Sen Thủy (huyện Lệ Thủy, Quảng Bình) nay là Xã Sen Ngư, tỉnh Quảng Trị." — or, for a split old
 * unit, the list of the units that took its parts.
 */
export async function successionNote(prisma: PrismaClient, units: UnitSummary[]): Promise<string | undefined> {
  const found = units.filter((u) => u.formerly);
  if (!found.length) return undefined;
  const places = await placesOf(prisma, found, true);
  const byOld = new Map<string, UnitSummary[]>();
  for (const u of found) byOld.set(u.formerly!.code, [...(byOld.get(u.formerly!.code) ?? []), u]);
  const lines: string[] = [];
  for (const group of byOld.values()) {
    const f = group[0]!.formerly!;
    const old = f.where ? `${f.name} (${f.where})` : f.name;
    const targets = group.map((u) => [u.name, places.get(u.code)].filter(Boolean).join(", "));
    lines.push(
      f.successorCount > 1 ? `${old} nay được chia cho: ${targets.join("; ")}.` : `${old} nay là ${targets[0]}.`,
    );
  }
  return lines.join("\n");
}

export const successionRowSchema = z.object({
  old_code: z.string().trim().min(1, "thiếu old_code"),
  old_valid_to: z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, "old_valid_to cần dạng YYYY-MM-DD"),
  new_code: z.string().trim().min(1, "thiếu new_code"),
  kind: z
    .string()
    .trim()
    .transform((v, ctx) => {
      const kind = ({ whole: "WHOLE", toan_bo: "WHOLE", part: "PART", mot_phan: "PART" } as const)[foldDiacritics(v).replace(/\s+/g, "_") as "whole"];
      if (!kind) ctx.addIssue({ code: "custom", message: `kind "${v}" không hợp lệ (whole hoặc part)` });
      return kind ?? z.NEVER;
    }),
  effective_date: z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, "effective_date cần dạng YYYY-MM-DD"),
  legal_basis: z.string().trim().min(1, "thiếu căn cứ (legal_basis)").max(500),
});

/** The columns of a succession file (old unit → new unit). */
export const successionTable: TableSpec<keyof z.input<typeof successionRowSchema>> = {
  columns: {
    old_code: ["ma_cu"],
    old_valid_to: [],
    new_code: ["ma_moi"],
    kind: ["hinh_thuc"],
    effective_date: ["ngay_hieu_luc"],
    legal_basis: ["can_cu"],
  },
  required: ["old_code", "old_valid_to", "new_code", "kind", "effective_date", "legal_basis"],
};

/**
 * Records old unit → new unit links from a CSV (old_code,old_valid_to,new_code,kind,effective_date,
 * legal_basis): the old unit is the one of the edition that ended on old_valid_to. All or nothing.
 */
export async function importSuccessionsFile(prisma: PrismaClient, file: string, source: string): Promise<{ created: number; errors: RowError[] }> {
  const table = await readTableFile(file, successionTable);
  if (table.errors.length) return { created: 0, errors: table.errors };
  const errors: RowError[] = [];
  const rows: Array<z.infer<typeof successionRowSchema> & { predecessor: string }> = [];
  const keys = new Set((await prisma.adminUnit.findMany({ select: { code: true } })).map((u) => u.code));
  table.rows.forEach((row) => {
    const line = row.line;
    const parsed = successionRowSchema.safeParse(textRecord(successionTable, row));
    if (!parsed.success) return void errors.push({ line, message: parsed.error.issues.map((i) => i.message).join("; ") });
    const predecessor = historicalKey(parsed.data.old_code, parsed.data.old_valid_to);
    if (!keys.has(predecessor)) errors.push({ line, message: `không có đơn vị cũ mã ${parsed.data.old_code} đến ${parsed.data.old_valid_to}` });
    else if (!keys.has(parsed.data.new_code)) errors.push({ line, message: `không có đơn vị mã ${parsed.data.new_code}` });
    else rows.push({ ...parsed.data, predecessor });
  });
  if (errors.length) return { created: 0, errors };
  let created = 0;
  await prisma.$transaction(async (tx) => {
    for (const r of rows) {
      const data = { kind: r.kind, effectiveDate: new Date(`${r.effective_date}T00:00:00Z`), legalBasis: r.legal_basis, source };
      const before = await tx.unitSuccession.findUnique({ where: { predecessorCode_successorCode: { predecessorCode: r.predecessor, successorCode: r.new_code } } });
      if (!before) created++;
      await tx.unitSuccession.upsert({
        where: { predecessorCode_successorCode: { predecessorCode: r.predecessor, successorCode: r.new_code } },
        create: { predecessorCode: r.predecessor, successorCode: r.new_code, ...data },
        update: data,
      });
    }
  });
  return { created, errors };
}

/**
 * Gives historical communes imported from a file (with their old district and province as parents) the
 * successors that the official list records for the same old commune (same name, district and province).
 * Returns how many links were added.
 */
export async function linkSuccessorsByOldPlace(prisma: PrismaClient): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<Array<{ code: string; name_folded: string; place: string }>>(
    `SELECT c.code, c.name_folded, lower(d.name) || ', ' || lower(p.name) AS place
       FROM admin_unit c JOIN admin_unit d ON d.code = c.parent_code JOIN admin_unit p ON p.code = d.parent_code
      WHERE c.valid_to IS NOT NULL AND c.level = 'COMMUNE' AND d.level = 'DISTRICT'
        AND NOT EXISTS (SELECT 1 FROM unit_succession s WHERE s.predecessor_code = c.code)`,
  );
  if (!rows.length) return 0;
  const official = await prisma.$queryRawUnsafe<Array<{ code: string; name_folded: string; place: string }>>(
    `SELECT code, name_folded, lower(former_context) AS place FROM admin_unit
      WHERE valid_to IS NOT NULL AND former_context IS NOT NULL AND name_folded IN (SELECT value FROM json_array_elements_text($1::json))`,
    JSON.stringify([...new Set(rows.map((r) => r.name_folded))]),
  );
  const byPlace = new Map(official.map((o) => [`${o.name_folded}|${foldUnitName(o.place)}`, o.code]));
  let added = 0;
  for (const r of rows) {
    const twin = byPlace.get(`${r.name_folded}|${foldUnitName(r.place)}`);
    if (!twin) continue;
    const links = await prisma.unitSuccession.findMany({ where: { predecessorCode: twin } });
    for (const l of links) {
      await prisma.unitSuccession.create({
        data: { predecessorCode: r.code, successorCode: l.successorCode, kind: l.kind, effectiveDate: l.effectiveDate, legalBasis: l.legalBasis, source: `${l.source} (qua ${twin})` },
      });
      added++;
    }
  }
  return added;
}

const districtWords = /^(huyen|quan|thi xa|thanh pho|tp|tx)\s+/;

export interface FormerDistrict {
  /** "Huyện Lệ Thủy" */
  name: string;
  /** "Quảng Bình": the old province, without "Tỉnh". */
  province: string;
  /** The communes in force that took its communes (each once), by path. */
  communes: UnitSummary[];
}

/**
 * An old district named by the query ("huyện Lệ Thủy", "huyen le thuy quang binh"), when a district word
 * was typed: from the old communes of the official list (their former district) and from historical
 * district units (demo, imports). Empty when the query names no old district, or when it also names a
 * unit in force at that level (e.g. a city that is a province today).
 */
export async function findFormerDistricts(prisma: PrismaClient, query: string): Promise<FormerDistrict[]> {
  const folded = foldUnitName(query);
  if (!districtWords.test(folded)) return [];
  const bare = folded.replace(districtWords, "");
  if (!bare) return [];
  const current = await prisma.adminUnit.count({ where: { validTo: null, level: { in: ["PROVINCE", "DISTRICT"] }, nameFolded: { in: [folded, bare] } } });
  if (current) return [];
  // "le thuy quang binh": the district's name, optionally followed by its province's.
  const matches = (district: string, province: string) => {
    const d = foldUnitName(district).replace(districtWords, "");
    const p = foldUnitName(province).replace(/^(tinh|thanh pho)\s+/, "");
    return bare === d || bare === `${d} ${p}` || bare === `${d} tinh ${p}`;
  };
  const contexts = (
    await prisma.$queryRawUnsafe<Array<{ former_context: string }>>(
      `SELECT DISTINCT former_context FROM admin_unit WHERE former_context IS NOT NULL AND valid_to IS NOT NULL`,
    )
  )
    .map((r) => r.former_context)
    .filter((c) => {
      const [district = "", province = ""] = c.split(/\s*,\s*/);
      return districtWords.test(foldUnitName(district)) && matches(district, province);
    });
  const oldDistricts = (
    await prisma.adminUnit.findMany({
      where: { level: "DISTRICT", validTo: { not: null }, nameFolded: { contains: bare.split(" ")[0] } },
      select: { code: true, name: true, path: true, parent: { select: { name: true } } },
    })
  ).filter((d) => matches(d.name, d.parent?.name ?? ""));
  const found = new Map<string, { name: string; province: string; predecessors: string[] }>();
  for (const c of contexts) {
    const [district = "", province = ""] = c.split(/\s*,\s*/);
    const key = `${foldUnitName(district)}|${foldUnitName(province)}`;
    const codes = (await prisma.adminUnit.findMany({ where: { formerContext: c, validTo: { not: null } }, select: { code: true } })).map((u) => u.code);
    const entry = found.get(key) ?? { name: district, province: province.replace(/^Tỉnh\s+/, ""), predecessors: [] };
    entry.predecessors.push(...codes);
    found.set(key, entry);
  }
  for (const d of oldDistricts) {
    const province = d.parent?.name ?? "";
    const key = `${foldUnitName(d.name)}|${foldUnitName(province)}`;
    const codes = (await prisma.adminUnit.findMany({ where: { path: { startsWith: d.path }, level: "COMMUNE" }, select: { code: true } })).map((u) => u.code);
    const entry = found.get(key) ?? { name: d.name, province: province.replace(/^Tỉnh\s+/, ""), predecessors: [] };
    entry.predecessors.push(...codes);
    found.set(key, entry);
  }
  const out: FormerDistrict[] = [];
  for (const entry of found.values()) {
    const links = await prisma.unitSuccession.findMany({
      where: { predecessorCode: { in: entry.predecessors } },
      select: { successor: { select } },
      distinct: ["successorCode"],
    });
    const communes = links.map((l) => strip(l.successor as UnitHit)).filter((u) => !u.validTo && u.level === "COMMUNE");
    communes.sort((a, b) => a.name.localeCompare(b.name, "vi"));
    out.push({ name: entry.name, province: entry.province, communes });
  }
  return out;
}

/** Where a unit in force is: "tỉnh Quảng Trị" (its province, in a sentence). */
export async function currentPlaceOf(prisma: PrismaClient, units: UnitSummary[]): Promise<Map<string, string>> {
  return placesOf(prisma, units, true);
}

/** The replies, with a note ("… nay là …") put before the first one's text. */
export function withNote<T extends { text: string }>(note: string | undefined, replies: T[]): T[] {
  if (!note || !replies.length) return replies;
  return [{ ...replies[0]!, text: `${note}\n${replies[0]!.text}` }, ...replies.slice(1)];
}

/**
 * Fills the "districts are gone" phrase (content/messages.yaml districtGone) for one old district:
 * {district}, {province} (old), {provinces} (today's, of the communes that took its communes), {count},
 * {communes}.
 */
export async function formerDistrictText(prisma: PrismaClient, template: string, d: FormerDistrict): Promise<string> {
  const places = await placesOf(prisma, d.communes, true);
  const provinces = [...new Set(d.communes.map((c) => (places.get(c.code) ?? "").split(", ").at(-1) ?? ""))].filter(Boolean);
  return template
    .replaceAll("{district}", d.name)
    .replaceAll("{province}", d.province)
    .replaceAll("{provinces}", provinces.join(", "))
    .replaceAll("{count}", String(d.communes.length))
    .replaceAll("{communes}", d.communes.map((c) => c.name).join(", "));
}
