// Groups of communes (cụm, liên xã) that some provinces keep between the commune and the province
// working group since districts ended (1/7/2025). A group lies inside one province and has its own team
// (leads): overdue tasks, missing-report lists and unanswered citizens' questions of its communes reach
// the leads first, and the province working group when a group has no leads or a commune no group.
// The file: `group_code,group_name,unit_code`, one row per commune (a village follows its commune).
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { readCsv, readTableFile, textRecord, type RowError, type Table, type TableSpec } from "../core/tabular.ts";
import { audit } from "../security/audit.ts";

export const unitGroupTable: TableSpec<"group_code" | "group_name" | "unit_code"> = {
  columns: {
    group_code: ["ma_cum", "ma_nhom"],
    group_name: ["ten_cum", "ten_nhom"],
    unit_code: ["ma_don_vi", "ma_xa", "ma"],
  },
  required: ["group_code", "group_name", "unit_code"],
};

const rowSchema = z.object({
  group_code: z.string().trim().regex(/^[A-Za-z0-9_-]{1,32}$/, "mã cụm chỉ gồm chữ, số, - và _ (tối đa 32 ký tự)"),
  group_name: z.string().trim().min(1, "thiếu tên cụm").max(200),
  unit_code: z.string().trim().min(1, "thiếu mã xã, phường"),
});

export interface UnitGroupImportResult {
  groups: number;
  members: number;
  errors: RowError[];
}

/**
 * Replaces the groups named in the file (their member lists become exactly the file's; leads stay).
 * Every member must be a commune in force, all members of a group in one province, a commune in one
 * group only (across the file and the groups already stored). All or nothing.
 */
export async function importUnitGroups(
  prisma: PrismaClient,
  table: Table<keyof typeof unitGroupTable.columns>,
  options: { dryRun?: boolean; by?: string } = {},
): Promise<UnitGroupImportResult> {
  const errors: RowError[] = [...table.errors];
  const rows: Array<z.infer<typeof rowSchema> & { line: number }> = [];
  for (const row of table.rows) {
    const parsed = rowSchema.safeParse(textRecord(unitGroupTable, row));
    if (parsed.success) rows.push({ ...parsed.data, line: row.line });
    else errors.push({ line: row.line, message: parsed.error.issues.map((i) => i.message).join("; ") });
  }
  const units = new Map(
    (
      await prisma.adminUnit.findMany({
        where: { code: { in: [...new Set(rows.map((r) => r.unit_code))] } },
        select: { code: true, name: true, level: true, path: true, validTo: true },
      })
    ).map((u) => [u.code, u]),
  );
  const groups = new Map<string, { name: string; province?: string; members: string[]; line: number }>();
  const groupOf = new Map<string, string>();
  for (const r of rows) {
    const unit = units.get(r.unit_code);
    if (!unit) {
      errors.push({ line: r.line, message: `không có đơn vị mã ${r.unit_code}` });
      continue;
    }
    if (unit.level !== "COMMUNE" || unit.validTo) {
      errors.push({ line: r.line, message: `${r.unit_code} (${unit.name}) không phải xã, phường, đặc khu đang có hiệu lực` });
      continue;
    }
    const province = unit.path.split("/").filter(Boolean)[0]!;
    const group = groups.get(r.group_code) ?? { name: r.group_name, members: [], line: r.line };
    if (group.name !== r.group_name) errors.push({ line: r.line, message: `cụm ${r.group_code} đã mang tên "${group.name}"` });
    if (group.province && group.province !== province) {
      errors.push({ line: r.line, message: `cụm ${r.group_code}: ${unit.name} thuộc tỉnh khác với các xã khác của cụm` });
    }
    group.province ??= province;
    const other = groupOf.get(r.unit_code);
    if (other) errors.push({ line: r.line, message: `${unit.name} (${r.unit_code}) đã thuộc cụm ${other}` });
    groupOf.set(r.unit_code, r.group_code);
    group.members.push(r.unit_code);
    groups.set(r.group_code, group);
  }
  // A commune already in a group the file does not mention cannot join another one.
  const stored = await prisma.unitGroupMember.findMany({ where: { unitCode: { in: [...groupOf.keys()] } } });
  for (const m of stored) {
    const wanted = groupOf.get(m.unitCode)!;
    if (wanted !== m.groupCode && !groups.has(m.groupCode)) {
      const line = rows.find((r) => r.unit_code === m.unitCode)?.line ?? 0;
      errors.push({ line, message: `${m.unitCode} đang thuộc cụm ${m.groupCode}; bỏ nó khỏi cụm đó trước (nhập lại tệp có cụm ${m.groupCode})` });
    }
  }
  if (!rows.length && !errors.length) errors.push({ line: 0, message: "tệp không có dòng nào" });
  if (errors.length) return { groups: 0, members: 0, errors };
  const result = { groups: groups.size, members: groupOf.size, errors: [] };
  if (options.dryRun) return result;
  await prisma.$transaction(async (tx) => {
    for (const [code, g] of groups) {
      await tx.unitGroup.upsert({ where: { code }, create: { code, name: g.name, provinceCode: g.province! }, update: { name: g.name, provinceCode: g.province! } });
      await tx.unitGroupMember.deleteMany({ where: { groupCode: code } });
    }
    await tx.unitGroupMember.createMany({ data: [...groupOf].map(([unitCode, groupCode]) => ({ unitCode, groupCode })) });
    await audit(tx, { actorLabel: options.by ?? "cli:admin", action: "unit_groups.import", detail: { groups: [...groups.keys()] } });
  });
  return result;
}

export async function importUnitGroupsFile(prisma: PrismaClient, file: string, options: { dryRun?: boolean } = {}) {
  return importUnitGroups(prisma, await readTableFile(file, unitGroupTable), options);
}

export function parseUnitGroupsCsv(text: string) {
  return readCsv(text, unitGroupTable);
}

export interface GroupTeam {
  code: string;
  name: string;
  leads: number[];
}

/**
 * The group team of each unit whose path runs through a grouped commune (a village counts for its
 * commune), for the given unit paths. Units outside any group are absent.
 */
export async function groupTeamsFor(prisma: PrismaClient, units: Array<{ code: string; path: string }>): Promise<Map<string, GroupTeam>> {
  const communeOf = new Map<string, string[]>();
  for (const u of units) communeOf.set(u.code, u.path.split("/").filter(Boolean));
  const candidates = [...new Set([...communeOf.values()].flat())];
  if (!candidates.length) return new Map();
  const members = await prisma.unitGroupMember.findMany({
    where: { unitCode: { in: candidates } },
    select: { unitCode: true, group: { select: { code: true, name: true, leads: { select: { personId: true } } } } },
  });
  const byCommune = new Map(members.map((m) => [m.unitCode, { code: m.group.code, name: m.group.name, leads: m.group.leads.map((l) => l.personId) }]));
  const out = new Map<string, GroupTeam>();
  for (const [code, chain] of communeOf) {
    const hit = chain.map((c) => byCommune.get(c)).find(Boolean);
    if (hit) out.set(code, hit);
  }
  return out;
}

export async function setGroupLead(
  prisma: PrismaClient,
  input: { groupCode: string; personId: number; remove?: boolean; by: string },
): Promise<"added" | "removed" | "unchanged" | "unknown-group"> {
  const group = await prisma.unitGroup.findUnique({ where: { code: input.groupCode } });
  if (!group) return "unknown-group";
  const key = { groupCode_personId: { groupCode: input.groupCode, personId: input.personId } };
  const before = await prisma.unitGroupLead.findUnique({ where: key });
  if (input.remove ? !before : before) return "unchanged";
  await prisma.$transaction(async (tx) => {
    if (input.remove) await tx.unitGroupLead.delete({ where: key });
    else await tx.unitGroupLead.create({ data: { groupCode: input.groupCode, personId: input.personId } });
    await audit(tx, {
      actorLabel: input.by,
      action: input.remove ? "unit_groups.lead_remove" : "unit_groups.lead_add",
      unitCode: group.provinceCode,
      detail: { group: input.groupCode, personId: input.personId },
    });
  });
  return input.remove ? "removed" : "added";
}
