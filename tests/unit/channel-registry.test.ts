// The channel registry (src/channels/registry.ts): its entries match the Prisma enum and the migrated
// database enum, its look-ups, and the mistakes createChannelRegistry refuses.
import { describe, expect, it } from "vitest";
import { CHANNEL_SPECS, channelRegistry, createChannelRegistry, type ChannelSpec } from "../../src/channels/registry.ts";
import { channelEnabled } from "../../src/channels/index.ts";
import { Channel } from "../../src/generated/prisma/enums.ts";
import { testConfig } from "../helpers/config.ts";
import { openTestDatabase } from "../helpers/databases.ts";

const spec = (over: Partial<ChannelSpec>): ChannelSpec => ({
  name: "viber",
  enumValue: "CLI",
  label: "Viber",
  capabilities: { buttons: true, photoUpload: false, sendable: false, public: true },
  ...over,
});

describe("channel registry", () => {
  it("has exactly the values of the Prisma enum Channel, one entry each", () => {
    expect(CHANNEL_SPECS.map((s) => s.enumValue).sort()).toEqual(Object.values(Channel).sort());
  });

  it("has exactly the values of the database enum the migrations create", async () => {
    const db = await openTestDatabase("pglite");
    try {
      const rows = await db.prisma.$queryRawUnsafe<Array<{ v: string }>>(`SELECT unnest(enum_range(NULL::"Channel"))::text AS v`);
      expect(rows.map((r) => r.v).sort()).toEqual(CHANNEL_SPECS.map((s) => s.enumValue).sort());
    } finally {
      await db.close();
    }
  }, 120_000); // applying every migration to PGlite takes a while on a busy machine

  it("maps names, enum values, labels and rates both ways", () => {
    expect(channelRegistry.names).toEqual(["telegram", "zalo", "web", "cli"]);
    expect(channelRegistry.sendable).toEqual(["telegram", "zalo", "web"]);
    expect(channelRegistry.toEnum("web")).toBe("WEB");
    expect(channelRegistry.toEnum("zalo")).toBe("ZALO");
    expect(channelRegistry.fromEnum("TELEGRAM")).toBe("telegram");
    expect(channelRegistry.channelOf("NOPE")).toBeUndefined();
    expect(() => channelRegistry.fromEnum("NOPE")).toThrow(/unknown channel enum value NOPE/);
    expect(() => channelRegistry.get("viber")).toThrow(/unknown channel "viber"/);
    expect(channelRegistry.label("cli")).toBe("dòng lệnh");
    expect(channelRegistry.rates()).toEqual({ telegram: 25, zalo: 10, web: 200 });
    expect(channelRegistry.rates({ ZALO_SEND_PER_SECOND: 3 })).toEqual({ telegram: 25, zalo: 3, web: 200 });
    expect(testConfig({ TELEGRAM_SEND_PER_SECOND: "7" }).sendRates).toEqual({ telegram: 7, zalo: 10, web: 200 });
  });

  it("starts an adapter only when the channel has one and its setting is set", () => {
    const [telegram, cli, web] = (["telegram", "cli", "web"] as const).map((name) => channelRegistry.get(name));
    expect(channelEnabled(testConfig(), telegram!)).toBe(false);
    expect(channelEnabled(testConfig({ TELEGRAM_BOT_TOKEN: "123456789:AAtestTOKENtestTOKENtestTOKEN_xyz" }), telegram!)).toBe(true);
    expect(channelEnabled(testConfig(), cli!)).toBe(false);
    expect(channelEnabled(testConfig(), web!)).toBe(true); // the web chat needs no token
    expect(channelEnabled(testConfig(), spec({ load: async () => ({ createAdapter: () => null }) }))).toBe(true);
  });

  it("refuses a name twice, an enum value twice, a bad name, and a sendable channel without a rate", () => {
    const base = CHANNEL_SPECS.filter((s) => s.name !== "cli");
    expect(() => createChannelRegistry([...base, spec({})])).not.toThrow();
    expect(() => createChannelRegistry([...base, spec({ name: "zalo" })])).toThrow(/"zalo" listed twice/);
    expect(() => createChannelRegistry([...CHANNEL_SPECS, spec({})])).toThrow(/CLI used by "cli" and "viber"/);
    expect(() => createChannelRegistry([...base, spec({ name: "Web:1" })])).toThrow(/lower-case letters and digits/);
    expect(() => createChannelRegistry([...base, spec({ capabilities: { buttons: true, photoUpload: false, sendable: true, public: true } })])).toThrow(
      /sendable channel "viber" needs a defaultRate/,
    );
  });
});
