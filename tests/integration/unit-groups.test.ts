// Groups of communes (cụm, liên xã): what an import accepts and refuses, and who their team reaches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { groupTeamsFor, importUnitGroups, parseUnitGroupsCsv, setGroupLead } from "../../src/features/unit-groups.ts";
import { importUnits } from "../../src/features/units.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const csv = (...rows: string[]) => parseUnitGroupsCsv(["Mã cụm,Tên cụm,Mã đơn vị", ...rows].join("\n"));

describe("groups of communes", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    await seedCurrentUnits(db.prisma);
    // Another province, an old district and a village, to be refused or followed.
    const more = await importUnits(db.prisma, [
      { code: "46", name: "Thành phố Huế", level: "PROVINCE", parent_code: undefined, valid_from: "2025-07-01" },
      { code: "19774", name: "Phường Thuận Hóa", level: "COMMUNE", parent_code: "46", valid_from: "2025-07-01" },
      { code: "44", name: "Tỉnh Quảng Bình", level: "PROVINCE", parent_code: undefined, valid_to: "2025-06-30" },
      { code: "450", name: "Huyện Lệ Thủy", level: "DISTRICT", parent_code: "44", valid_to: "2025-06-30" },
      { code: "T1", name: "Thôn Tân Lệ", level: "VILLAGE", parent_code: "19288" },
    ]);
    expect(more.errors).toEqual([]);
  });
  afterAll(() => db?.close());

  it("refuses members that are not communes in force, two provinces in a group, a commune in two groups", async () => {
    const result = await importUnitGroups(
      db.prisma,
      csv("LT,Cụm Lệ Thủy,19288", "LT,Cụm Lệ Thủy,450-20250630", "LT,Cụm Lệ Thủy,19774", "LT,Cụm Lệ Thủy,T1", "LN,Cụm Lệ Ninh,19288", "LT,Cụm Lệ Thủy,99999"),
    );
    const messages = result.errors.map((e) => `${e.line}: ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^3: .*Huyện Lệ Thủy.*không phải xã, phường/),
      expect.stringMatching(/^4: cụm LT: Phường Thuận Hóa thuộc tỉnh khác/),
      expect.stringMatching(/^5: .*Thôn Tân Lệ.*không phải xã, phường/),
      expect.stringMatching(/^6: Xã Sen Ngư \(19288\) đã thuộc cụm LT/),
      expect.stringMatching(/^7: không có đơn vị mã 99999/),
    ]);
    expect(await db.prisma.unitGroup.count()).toBe(0);
  });

  it("imports, replaces a group's members on re-import, and keeps a commune from joining a second group", async () => {
    expect((await importUnitGroups(db.prisma, csv("LT,Cụm Lệ Thủy,19288", "LT,Cụm Lệ Thủy,19249"))).errors).toEqual([]);
    expect((await importUnitGroups(db.prisma, csv("LT,Cụm Lệ Thủy,19288", "LT,Cụm Lệ Thủy,19246"))).members).toBe(2);
    const members = await db.prisma.unitGroupMember.findMany({ where: { groupCode: "LT" }, orderBy: { unitCode: "asc" } });
    expect(members.map((m) => m.unitCode)).toEqual(["19246", "19288"]);
    const second = await importUnitGroups(db.prisma, csv("DH,Cụm Đồng Hới,18880", "DH,Cụm Đồng Hới,19246"));
    expect(second.errors.map((e) => e.message)).toEqual([expect.stringMatching(/19246 đang thuộc cụm LT/)]);
  });

  it("a village reaches its commune's group team; a commune outside groups has none", async () => {
    const lead = await db.prisma.person.create({ data: { displayName: "lead" } });
    expect(await setGroupLead(db.prisma, { groupCode: "LT", personId: lead.id, by: "test" })).toBe("added");
    expect(await setGroupLead(db.prisma, { groupCode: "LT", personId: lead.id, by: "test" })).toBe("unchanged");
    expect(await setGroupLead(db.prisma, { groupCode: "NOPE", personId: lead.id, by: "test" })).toBe("unknown-group");
    const teams = await groupTeamsFor(db.prisma, [
      { code: "T1", path: "/44/19288/T1/" },
      { code: "18880", path: "/44/18880/" },
    ]);
    expect(teams.get("T1")).toEqual({ code: "LT", name: "Cụm Lệ Thủy", leads: [lead.id] });
    expect(teams.has("18880")).toBe(false);
  });
});
