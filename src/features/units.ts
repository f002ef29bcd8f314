// Administrative units: CSV import (idempotent) and forgiving look-up by name or code.
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { foldDiacritics } from "../core/text.ts";

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
});

export type UnitRow = z.infer<typeof unitRowSchema>;

export interface RowError {
  line: number;
  message: string;
}

export interface UnitImportResult {
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

/** Reads a CSV with header `code,name,level,parent_code`; line numbers count the header as line 1. */
export function parseUnitsCsv(text: string): { rows: Array<UnitRow & { line: number }>; errors: RowError[] } {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }) as Record<string, string>[];
  const rows: Array<UnitRow & { line: number }> = [];
  const errors: RowError[] = [];
  records.forEach((record, index) => {
    const line = index + 2;
    const parsed = unitRowSchema.safeParse(record);
    if (parsed.success) rows.push({ ...parsed.data, line });
    else errors.push({ line, message: parsed.error.issues.map((i) => i.message).join("; ") });
  });
  return { rows, errors };
}

/**
 * Creates or updates units. All rows are checked first (parents exist in the file or the database, a
 * parent is of a higher level, no duplicates); any error rejects the whole import.
 */
export async function importUnits(prisma: PrismaClient, rows: Array<UnitRow & { line?: number }>): Promise<UnitImportResult> {
  const errors: RowError[] = [];
  const byCode = new Map<string, UnitRow & { line?: number }>();
  for (const row of rows) {
    if (byCode.has(row.code)) errors.push({ line: row.line ?? 0, message: `mã ${row.code} xuất hiện hai lần` });
    byCode.set(row.code, row);
  }
  const existing = new Map(
    (await prisma.adminUnit.findMany({ select: { code: true, name: true, level: true, parentCode: true, path: true } })).map((u) => [u.code, u]),
  );
  const levelOf = (code: string) => byCode.get(code)?.level ?? existing.get(code)?.level;
  for (const row of byCode.values()) {
    if (!row.parent_code) {
      if (row.level !== "PROVINCE") errors.push({ line: row.line ?? 0, message: `${row.code}: đơn vị cấp dưới phải có parent_code` });
      continue;
    }
    const parentLevel = levelOf(row.parent_code);
    if (!parentLevel) errors.push({ line: row.line ?? 0, message: `${row.code}: không tìm thấy đơn vị cha ${row.parent_code}` });
    else if (rank[parentLevel] >= rank[row.level]) {
      errors.push({ line: row.line ?? 0, message: `${row.code}: đơn vị cha ${row.parent_code} phải ở cấp cao hơn` });
    }
  }
  if (errors.length) return { created: 0, updated: 0, unchanged: 0, errors };

  // Parents before children, so every path can be computed from an already-known parent path.
  const ordered = [...byCode.values()].sort((a, b) => rank[a.level] - rank[b.level]);
  const paths = new Map([...existing].map(([code, u]) => [code, u.path]));
  const result: UnitImportResult = { created: 0, updated: 0, unchanged: 0, errors: [] };
  const writes = [];
  for (const row of ordered) {
    const path = `${row.parent_code ? paths.get(row.parent_code)! : "/"}${row.code}/`;
    paths.set(row.code, path);
    const data = { name: row.name, nameFolded: foldUnitName(row.name), level: row.level, parentCode: row.parent_code ?? null, path };
    const before = existing.get(row.code);
    if (!before) result.created++;
    else if (before.name === data.name && before.level === data.level && before.parentCode === data.parentCode && before.path === path) {
      result.unchanged++;
      continue;
    } else result.updated++;
    writes.push(prisma.adminUnit.upsert({ where: { code: row.code }, create: { code: row.code, ...data }, update: data }));
  }
  await prisma.$transaction(writes);
  return result;
}

export async function importUnitsFile(prisma: PrismaClient, file: string): Promise<UnitImportResult> {
  const { rows, errors } = parseUnitsCsv(await readFile(file, "utf8"));
  if (errors.length) return { created: 0, updated: 0, unchanged: 0, errors };
  return importUnits(prisma, rows);
}

const unitPrefixes = /^(tinh|thanh pho|tp|huyen|quan|thi xa|tx|xa|phuong|thi tran|tt|dac khu|thon|ap|ban|to dan pho)\s+/;

export function foldUnitName(name: string): string {
  return foldDiacritics(name).replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim();
}

export interface UnitSummary {
  code: string;
  name: string;
  level: UnitLevel;
  path: string;
  parentCode: string | null;
}

/**
 * Finds a unit by code or by name, forgiving case, diacritics and the "Xã/Huyện…" prefix, optionally only
 * inside a subtree. Returns every candidate when a name is ambiguous.
 */
export async function findUnits(prisma: PrismaClient, query: string, withinPath?: string): Promise<UnitSummary[]> {
  const select = { code: true, name: true, level: true, path: true, parentCode: true } as const;
  const inside = withinPath ? { path: { startsWith: withinPath } } : {};
  const trimmed = query.trim();
  if (!trimmed) return [];
  const byCode = await prisma.adminUnit.findFirst({ where: { code: trimmed, ...inside }, select });
  if (byCode) return [byCode];
  const folded = foldUnitName(trimmed);
  const bare = folded.replace(unitPrefixes, "");
  const exact = await prisma.adminUnit.findMany({
    where: { ...inside, OR: [{ nameFolded: folded }, { nameFolded: bare }, { nameFolded: { endsWith: ` ${bare}` } }] },
    select,
    orderBy: { path: "asc" },
    take: 10,
  });
  if (exact.length) return exact;
  return prisma.adminUnit.findMany({ where: { ...inside, nameFolded: { contains: bare } }, select, orderBy: { path: "asc" }, take: 10 });
}
