// The indicator catalogue: content/indicators.yaml, validated with zod, mirrored into the `indicator`
// table (values reference it) and searched forgivingly by /tiendo.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { contentDir } from "../../core/messages.ts";
import { foldDiacritics } from "../../core/text.ts";

export type IndicatorKind = "share" | "target" | "count";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "ngày dạng YYYY-MM-DD");

const indicatorSchema = z
  .strictObject({
  // ≤ 24 characters keeps button payloads such as "td:c:<code>:<unit code>" within 64 bytes.
  code: z.string().regex(/^[a-z0-9_]{2,24}$/, "mã chỉ tiêu: chữ thường, số, _ (2–24 ký tự)"),
  name: z.string().trim().min(3),
  short: z.string().trim().min(1).max(60).optional(),
  group: z.string().trim().min(1),
  kind: z.enum(["share", "target", "count"]),
  higherIsBetter: z.boolean().default(true),
  key: z.boolean().default(false),
  service: z.number().int().min(1).max(25).optional(),
  counts: z.string().trim().min(1).optional(),
  aliases: z.array(z.string().trim().min(1)).default([]),
  integer: z.boolean().default(true),
  /** First day the indicator applies; periods that end before it are refused. */
  since: day.optional(),
  /** Last day the indicator applies: after it the indicator is history (importable for old periods only). */
  until: day.optional(),
  /** Why it ended, shown to users next to "đã kết thúc". */
  ended: z.string().trim().min(3).optional(),
  })
  .refine((d) => (d.until === undefined) === (d.ended === undefined), { message: "until và ended phải đi cùng nhau", path: ["ended"] })
  .refine((d) => !d.since || !d.until || d.since <= d.until, { message: "since sau until", path: ["since"] });

const catalogSchema = z.strictObject({ indicators: z.array(indicatorSchema).min(1) });

export interface IndicatorDef extends z.infer<typeof indicatorSchema> {
  /** Position in the file: the display order. */
  sortOrder: number;
  /** Name, short name, code and aliases folded, for look-ups. */
  searchText: string;
}

export interface Catalog {
  list: IndicatorDef[];
  byCode: Map<string, IndicatorDef>;
  /** The 25 essential services, by service number. */
  services: IndicatorDef[];
  keys: IndicatorDef[];
}

export const catalogFile = path.join(contentDir, "indicators.yaml");

export function parseCatalog(text: string, file = catalogFile): Catalog {
  const result = catalogSchema.safeParse(parse(text));
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(`${file}: ${first?.path.join(".") ?? "?"}: ${first?.message ?? "invalid"}`);
  }
  const list: IndicatorDef[] = result.data.indicators.map((def, i) => ({
    ...def,
    sortOrder: i + 1,
    searchText: foldSearch([def.code.replace(/_/g, " "), def.name, def.short ?? "", ...def.aliases].join(" ")),
  }));
  const byCode = new Map<string, IndicatorDef>();
  const serviceNumbers = new Set<number>();
  for (const def of list) {
    if (byCode.has(def.code)) throw new Error(`${file}: chỉ tiêu ${def.code} khai báo hai lần`);
    if (def.service !== undefined) {
      if (serviceNumbers.has(def.service)) throw new Error(`${file}: dịch vụ số ${def.service} khai báo hai lần`);
      if (def.kind !== "share") throw new Error(`${file}: ${def.code}: dịch vụ công thiết yếu phải có kind share`);
      serviceNumbers.add(def.service);
    }
    byCode.set(def.code, def);
  }
  return {
    list,
    byCode,
    services: list.filter((d) => d.service !== undefined).sort((a, b) => a.service! - b.service!),
    keys: list.filter((d) => d.key),
  };
}

let cached: Catalog | undefined;

/** The catalogue from content/indicators.yaml, read once per process. */
export function loadCatalog(): Catalog {
  cached ??= parseCatalog(readFileSync(catalogFile, "utf8"));
  return cached;
}

const synced = new WeakMap<PrismaClient, Promise<void>>();

/** Mirrors the catalogue into the `indicator` table (once per client); values need those rows. */
export function ensureCatalog(prisma: PrismaClient, catalog = loadCatalog()): Promise<void> {
  let done = synced.get(prisma);
  if (!done) {
    done = syncCatalog(prisma, catalog).catch((error: unknown) => {
      synced.delete(prisma);
      throw error;
    });
    synced.set(prisma, done);
  }
  return done;
}

const dbKind = { share: "SHARE", target: "TARGET", count: "COUNT" } as const;

export async function syncCatalog(prisma: PrismaClient, catalog: Catalog): Promise<void> {
  const rows = catalog.list.map((d) => ({
    code: d.code,
    name: d.name,
    group: d.group,
    kind: dbKind[d.kind],
    higher_is_better: d.higherIsBetter,
    sort_order: d.sortOrder,
  }));
  await prisma.$executeRawUnsafe(
    `INSERT INTO indicator (code, name, "group", kind, higher_is_better, sort_order)
     SELECT code, name, "group", kind::"IndicatorKind", higher_is_better, sort_order
     FROM json_to_recordset($1::json) AS x(code text, name text, "group" text, kind text, higher_is_better boolean, sort_order int)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "group" = EXCLUDED."group", kind = EXCLUDED.kind,
       higher_is_better = EXCLUDED.higher_is_better, sort_order = EXCLUDED.sort_order`,
    JSON.stringify(rows),
  );
}

function foldSearch(text: string): string {
  return foldDiacritics(text).replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim();
}

/**
 * Indicators matching what someone typed: the exact code or an alias first, else every indicator whose
 * name, short name, code or aliases contain all the words (diacritics optional).
 */
export function findIndicators(catalog: Catalog, query: string): IndicatorDef[] {
  const folded = foldSearch(query);
  if (!folded) return [];
  const exact = catalog.byCode.get(query.trim().toLowerCase());
  if (exact) return [exact];
  const byAlias = catalog.list.filter((d) => d.code.replace(/_/g, " ") === folded || d.aliases.some((a) => foldSearch(a) === folded));
  if (byAlias.length) return byAlias;
  const words = folded.split(" ");
  const padded = (d: IndicatorDef) => ` ${d.searchText} `;
  const all = catalog.list.filter((d) => words.every((w) => padded(d).includes(` ${w}`)));
  // Key indicators first: "vneid" should offer the headline figure before the details.
  return all.sort((a, b) => Number(b.key) - Number(a.key) || a.sortOrder - b.sortOrder);
}

export function label(def: IndicatorDef): string {
  return def.short ?? def.name;
}

const utcDay = (text: string) => new Date(`${text}T00:00:00Z`);

/** Has the indicator ended by `at` (its last day, `until`, is before that day)? */
export function hasEnded(def: IndicatorDef, at: Date): boolean {
  return def.until !== undefined && at.getTime() > utcDay(def.until).getTime() + 86_400_000 - 1;
}

/**
 * Does the indicator apply to a period from `start` to `end`? A period that begins after `until` or ends
 * before `since` does not: figures of an ended indicator are taken for its own time only.
 */
export function appliesTo(def: IndicatorDef, start: Date, end: Date): boolean {
  if (def.until !== undefined && start.getTime() > utcDay(def.until).getTime()) return false;
  if (def.since !== undefined && end.getTime() < utcDay(def.since).getTime()) return false;
  return true;
}

/** The indicators listed for a unit in force at `at`: the catalogue without those that ended. */
export function currentIndicators(catalog: Catalog, at: Date): IndicatorDef[] {
  return catalog.list.filter((d) => !hasEnded(d, at));
}
