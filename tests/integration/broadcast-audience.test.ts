// Who an announcement reaches, over the unit tree, on PGlite and PostgreSQL: subtree, opt-out, unreachable,
// channel filter, citizens vs officers vs both, one message per person, and idempotent keyset pages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { revokeRole } from "../../src/features/access/service.ts";
import { countAudience, expandPage, type Audience, type AudienceSpec, type SendChannel } from "../../src/features/broadcast/audience.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { citizen, seedUnits, staff } from "../helpers/broadcast-harness.ts";

const district = "/44/450/";
const province = "/44/";

describe.each(["pglite", "postgres"] as const)("broadcast audience on %s", (kind) => {
  let db: Database;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    const p = db.prisma;
    await seedUnits(p);
    // A person with two linked identities, far apart in id order (different pages with small pages).
    const linked = await citizen(p, "telegram", "tg-linked", "19123");
    ids["tg-linked"] = linked.identityId;
    ids["tg-a"] = (await citizen(p, "telegram", "tg-a", "19123")).identityId;
    ids["zl-b"] = (await citizen(p, "zalo", "zl-b", "19124")).identityId;
    ids["tg-other-district"] = (await citizen(p, "telegram", "tg-other-district", "19200")).identityId;
    ids["tg-optout"] = (await citizen(p, "telegram", "tg-optout", "19123", { optedOut: true })).identityId;
    ids["tg-blocked"] = (await citizen(p, "telegram", "tg-blocked", "19123", { unreachable: true })).identityId;
    ids["cli-c"] = (await citizen(p, "cli", "cli-c", "19123")).identityId;
    ids["tg-district"] = (await citizen(p, "telegram", "tg-district", "450")).identityId;
    ids["tg-nosub"] = (await citizen(p, "telegram", "tg-nosub", null)).identityId;
    await staff(p, "telegram", "tg-officer", "OFFICER", "19123");
    await staff(p, "zalo", "zl-officer-451", "OFFICER", "19200");
    await staff(p, "telegram", "tg-supervisor", "SUPERVISOR", "450");
    const revoked = await staff(p, "telegram", "tg-revoked", "OFFICER", "19124");
    await revokeRole(p, { personId: revoked, role: "OFFICER", unitCode: "19124", by: { personId: null, label: "test" } });
    const blockedOfficer = await staff(p, "telegram", "tg-officer-blocked", "OFFICER", "19124");
    await p.channelIdentity.updateMany({ where: { personId: blockedOfficer }, data: { unreachableAt: new Date() } });
    for (const row of await p.channelIdentity.findMany()) ids[row.externalUserId] = row.id;
    ids["zl-linked"] = (await citizen(p, "zalo", "zl-linked", "19123", { personId: linked.personId })).identityId;
  });
  afterAll(() => db?.close());

  const spec = (audience: Audience, unitPath = district, channels: SendChannel[] = ["telegram", "zalo"]): AudienceSpec => ({ unitPath, audience, channels });

  /** Every recipient of a fan-out, page by page, as the worker does it (deliveries are written). */
  async function fanOut(s: AudienceSpec, broadcastId: number, limit: number): Promise<string[]> {
    const chats: string[] = [];
    let cursor = 0;
    for (;;) {
      const page = await expandPage(db.prisma, s, broadcastId, cursor, limit);
      if (page.next === null) break;
      chats.push(...page.recipients.map((r) => r.chatId));
      cursor = page.next;
    }
    const rows = await db.prisma.broadcastDelivery.findMany({ where: { broadcastId }, include: { identity: true } });
    expect(rows.map((r) => r.identity.chatId).sort()).toEqual(chats.sort());
    return chats.sort();
  }

  let nextBroadcast = 0;
  async function broadcastRow(): Promise<number> {
    const b = await db.prisma.broadcast.create({
      data: { createdByLabel: "test", unitCode: "450", audience: "CITIZENS", text: `t${nextBroadcast++}` },
    });
    return b.id;
  }

  it("citizens of a subtree: subscribed, not opted out, reachable, not CLI, one per person", async () => {
    expect(await countAudience(db.prisma, spec("CITIZENS"))).toEqual({ telegram: 3, zalo: 1, web: 0 });
    expect(await fanOut(spec("CITIZENS"), await broadcastRow(), 2)).toEqual(["tg-a", "tg-district", "tg-linked", "zl-b"]);
  });

  it("a wider subtree reaches the units below it; a narrower one only its own", async () => {
    expect(await fanOut(spec("CITIZENS", province), await broadcastRow(), 100)).toEqual(["tg-a", "tg-district", "tg-linked", "tg-other-district", "zl-b"]);
    expect(await fanOut(spec("CITIZENS", "/44/450/19124/"), await broadcastRow(), 100)).toEqual(["zl-b"]);
  });

  it("filters by channel (a linked person is then reached on the channel chosen)", async () => {
    expect(await countAudience(db.prisma, spec("CITIZENS", district, ["zalo"]))).toEqual({ telegram: 0, zalo: 2, web: 0 });
    expect(await fanOut(spec("CITIZENS", district, ["zalo"]), await broadcastRow(), 1)).toEqual(["zl-b", "zl-linked"]);
    expect(await fanOut(spec("CITIZENS", district, ["telegram"]), await broadcastRow(), 1)).toEqual(["tg-a", "tg-district", "tg-linked"]);
  });

  it("officers of a subtree: active roles only, reachable only", async () => {
    expect(await fanOut(spec("OFFICERS"), await broadcastRow(), 2)).toEqual(["tg-officer", "tg-supervisor"]);
    expect(await fanOut(spec("OFFICERS", province), await broadcastRow(), 2)).toEqual(["tg-officer", "tg-supervisor", "zl-officer-451"]);
  });

  it("both: citizens and officers, each once", async () => {
    expect(await countAudience(db.prisma, spec("BOTH"))).toEqual({ telegram: 5, zalo: 1, web: 0 });
    expect(await fanOut(spec("BOTH"), await broadcastRow(), 2)).toEqual(["tg-a", "tg-district", "tg-linked", "tg-officer", "tg-supervisor", "zl-b"]);
    const page = await expandPage(db.prisma, spec("BOTH"), await broadcastRow(), 0, 100);
    const byChat = new Map(page.recipients.map((r) => [r.chatId, r.citizen]));
    expect(byChat.get("tg-a")).toBe(true);
    expect(byChat.get("tg-officer")).toBe(false);
  });

  it("opting out, blocking the bot and revoking take effect at once", async () => {
    await db.prisma.subscription.update({ where: { identityId: ids["tg-a"]! }, data: { optedOutAt: new Date() } });
    await db.prisma.channelIdentity.update({ where: { id: ids["tg-district"]! }, data: { unreachableAt: new Date() } });
    expect(await fanOut(spec("CITIZENS"), await broadcastRow(), 2)).toEqual(["tg-linked", "zl-b"]);
    await db.prisma.subscription.update({ where: { identityId: ids["tg-a"]! }, data: { optedOutAt: null } });
    await db.prisma.channelIdentity.update({ where: { id: ids["tg-district"]! }, data: { unreachableAt: null } });
  });

  it("redoing a page after a crash returns the same recipients; a linked person is never reached twice", async () => {
    const id = await broadcastRow();
    const s = spec("CITIZENS");
    // The worker wrote this page's deliveries, then died before storing the cursor: the page is redone.
    const first = await expandPage(db.prisma, s, id, 0, 2);
    const again = await expandPage(db.prisma, s, id, 0, 2);
    expect(again).toEqual(first);
    expect(await db.prisma.broadcastDelivery.count({ where: { broadcastId: id } })).toBe(first.recipients.length);
    // A recipient already sent is not returned again (nothing to queue), but the page still moves on.
    await db.prisma.broadcastDelivery.updateMany({ where: { broadcastId: id, identityId: first.recipients[0]!.identityId }, data: { status: "SENT" } });
    const third = await expandPage(db.prisma, s, id, 0, 2);
    expect(third.recipients).toEqual(first.recipients.slice(1));
    expect(third.next).toBe(first.next);
    // The whole run from the start: the linked Zalo identity stays out, nobody is added twice.
    const queued: string[] = [];
    for (let cursor = 0; ; ) {
      const page = await expandPage(db.prisma, s, id, cursor, 2);
      if (page.next === null) break;
      queued.push(...page.recipients.map((r) => r.chatId));
      cursor = page.next;
    }
    expect(queued.sort()).toEqual(["tg-a", "tg-district", "tg-linked", "zl-b"].filter((c) => c !== first.recipients[0]!.chatId));
    const rows = await db.prisma.broadcastDelivery.findMany({ where: { broadcastId: id }, include: { identity: true } });
    expect(rows.map((r) => r.identity.chatId).sort()).toEqual(["tg-a", "tg-district", "tg-linked", "zl-b"]);
  });
});
