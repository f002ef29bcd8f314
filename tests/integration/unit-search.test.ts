// Unit search by name: "%" and "_" typed by a citizen are characters, not SQL wildcards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { findUnits } from "../../src/features/units.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { seedUnits } from "../helpers/units.ts";

describe("unit search", { timeout: 120_000 }, () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    await seedUnits(db.prisma);
  });
  afterAll(async () => db?.close());

  it("finds a commune by a part of its name", async () => {
    expect((await findUnits(db.prisma, "sen thu")).map((u) => u.code)).toEqual(["19123"]);
  });

  it("treats % and _ as plain characters, not wildcards", async () => {
    for (const query of ["%", "_", "%%", "___", "s_n", "% _", "s%y"]) {
      expect(await findUnits(db.prisma, query), query).toEqual([]);
    }
    expect((await findUnits(db.prisma, "sen thuy%")).map((u) => u.code)).toEqual(["19123"]);
  });
});
