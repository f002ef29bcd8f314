// Unit trees for tests.
// - currentUnits: today's two tiers (since 1/7/2025), province → communes/wards, real codes and names of
//   the official list — for tests of what the bot does now (reminders, escalation, handoff).
// - sampleUnits: the old three tiers (province 44 → districts 450, 451 → communes) — for tests that are
//   about units as such (search, import) or that keep using the old tree; history proper lives in
//   unit-list.test.ts (the official list, its old units and successions).
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { importUnits } from "../../src/features/units.ts";

export const sampleUnits = [
  { code: "44", name: "Tỉnh Quảng Bình", level: "PROVINCE", parent_code: undefined },
  { code: "450", name: "Huyện Lệ Thủy", level: "DISTRICT", parent_code: "44" },
  { code: "19123", name: "Xã Sen Thủy", level: "COMMUNE", parent_code: "450" },
  { code: "19124", name: "Thị trấn Kiến Giang", level: "COMMUNE", parent_code: "450" },
  { code: "451", name: "Huyện Quảng Ninh", level: "DISTRICT", parent_code: "44" },
  { code: "19200", name: "Xã Võ Ninh", level: "COMMUNE", parent_code: "451" },
] as const;

const since = "2025-07-01";
export const currentUnits = [
  { code: "44", name: "Tỉnh Quảng Trị", level: "PROVINCE", parent_code: undefined, valid_from: since },
  { code: "19288", name: "Xã Sen Ngư", level: "COMMUNE", parent_code: "44", valid_from: since },
  { code: "19249", name: "Xã Lệ Thủy", level: "COMMUNE", parent_code: "44", valid_from: since },
  { code: "19246", name: "Xã Lệ Ninh", level: "COMMUNE", parent_code: "44", valid_from: since },
  { code: "18880", name: "Phường Đồng Hới", level: "COMMUNE", parent_code: "44", valid_from: since },
] as const;

export async function seedUnits(prisma: PrismaClient): Promise<void> {
  const result = await importUnits(prisma, sampleUnits.map((u) => ({ ...u })));
  if (result.errors.length) throw new Error(JSON.stringify(result.errors));
}

export async function seedCurrentUnits(prisma: PrismaClient): Promise<void> {
  const result = await importUnits(prisma, currentUnits.map((u) => ({ ...u })));
  if (result.errors.length) throw new Error(JSON.stringify(result.errors));
}
