// A small unit tree (province 44 → districts 450, 451 → communes) for tests.
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

export async function seedUnits(prisma: PrismaClient): Promise<void> {
  const result = await importUnits(prisma, sampleUnits.map((u) => ({ ...u })));
  if (result.errors.length) throw new Error(JSON.stringify(result.errors));
}
