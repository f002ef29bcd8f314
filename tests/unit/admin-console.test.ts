// `admin console-sessions` and `admin console-revoke`: everyone's open staff console sessions, with no
// platform id or phone number, and revoking one (its browser is refused from then on).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "../../src/admin/args.ts";
import { adminCommands } from "../../src/admin/index.ts";
import { createSignInLink, sessionUser, signIn } from "../../src/console/auth.ts";
import type { Database } from "../../src/db/client.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { seedUnits } from "../helpers/units.ts";

describe("admin console-sessions / console-revoke", () => {
  let db: Database;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    await seedUnits(db.prisma);
    const p = db.prisma;
    const by = { personId: null, label: "test" };
    const people = [
      { key: "senthuy", user: "912345001", unit: "19123", name: "Anh Nam 0912 345 678" },
      { key: "voninh", user: "912345002", unit: "19200", name: null },
    ];
    for (const person of people) {
      const personId = await personForAccount(p, "telegram", person.user);
      if (person.name) await p.person.update({ where: { id: personId }, data: { displayName: person.name } });
      await grantRole(p, { personId, role: "OFFICER", unitCode: person.unit, by });
      // As /web does: the link remembers the private chat it was asked for in.
      const identity = await p.channelIdentity.findUniqueOrThrow({ where: { channel_externalUserId: { channel: "TELEGRAM", externalUserId: person.user } } });
      const link = await createSignInLink(p, { personId, channel: "TELEGRAM", identityId: identity.id, actorLabel: `telegram:${person.user}` });
      const session = await signIn(p, { token: link.token, device: "Chrome 120 · Windows", sessionHours: 12 });
      if (!session.ok) throw new Error(session.reason);
      tokens[person.key] = session.sessionToken;
      ids[person.key] = (await p.consoleSession.findFirstOrThrow({ where: { personId }, orderBy: { id: "desc" } })).id;
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  async function run(name: string, argv: string[]) {
    const command = adminCommands.find((c) => c.name === name)!;
    const lines: string[] = [];
    const code = await command.run({ config: testConfig(), db, log: createLogger("silent"), args: parseArgs(argv), out: (line) => lines.push(line) });
    return { code, text: lines.join("\n") };
  }

  it("lists everyone's open sessions, or those of a unit's subtree, with no platform id or phone number", async () => {
    const all = await run("console-sessions", []);
    expect(all.code).toBe(0);
    expect(all.text.split("\n")).toHaveLength(2);
    expect(all.text).toMatch(new RegExp(`^#${ids.senthuy}  Anh Nam \\[số điện thoại\\] \\(person \\d+\\)  cán bộ Xã Sen Thủy  via Telegram  Chrome 120 · Windows  since `, "m"));
    expect(all.text).not.toMatch(/912345|0912|345 678/);
    const one = await run("console-sessions", ["--unit", "451"]);
    expect(one.text.split("\n")).toHaveLength(1);
    expect(one.text).toMatch(/Xã Võ Ninh/);
    const json = JSON.parse((await run("console-sessions", ["--json"])).text) as Array<{ id: number; via: string }>;
    expect(json.map((s) => s.id).sort()).toEqual([ids.senthuy, ids.voninh].sort());
    expect(json.every((s) => s.via === "telegram")).toBe(true);
    expect((await run("console-sessions", ["--unit", "99999"])).code).toBe(2);
  });

  it("revokes one session: its cookie opens nothing any more, the other stays; a second revoke or a bad number fails", async () => {
    expect(await sessionUser(db.prisma, tokens.senthuy)).not.toBeNull();
    const revoked = await run("console-revoke", ["--session", String(ids.senthuy)]);
    expect(revoked).toEqual({ code: 0, text: `Session #${ids.senthuy} revoked.` });
    expect(await sessionUser(db.prisma, tokens.senthuy)).toBeNull();
    expect(await sessionUser(db.prisma, tokens.voninh)).not.toBeNull();
    expect((await run("console-revoke", ["--session", String(ids.senthuy)])).code).toBe(1);
    expect((await run("console-revoke", ["--session", "abc"])).code).toBe(2);
    expect((await run("console-revoke", [])).code).toBe(2);
    expect((await run("console-sessions", [])).text).not.toMatch(new RegExp(`^#${ids.senthuy} `, "m"));
    const audit = await db.prisma.auditLog.findFirstOrThrow({ where: { action: "console.session_revoke" }, orderBy: { id: "desc" } });
    expect(audit.actorLabel).toBe("cli:admin");
  });
});
