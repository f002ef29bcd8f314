// Operator commands for the staff console's sessions: list everyone's open ones (optionally within a unit's
// subtree) and revoke one. The console's admins do the same on /console/phien/moi-nguoi.
import { channelRegistry } from "../channels/registry.ts";
import { formatVietnamTime, roleLabels } from "../core/helpers.ts";
import { openSessionsWithin, revokeSession } from "../console/auth.ts";
import { requireOption, UsageError } from "./args.ts";
import type { AdminCommand } from "./types.ts";

const operator = { personId: null, label: "cli:admin" };

export const consoleCommands: AdminCommand[] = [
  {
    name: "console-sessions",
    usage: "console-sessions [--unit CODE] [--json]",
    summary: "open staff console sessions (of people with a role under CODE, else everyone)",
    async run(ctx) {
      const { prisma } = ctx.db;
      const code = ctx.args.options.unit;
      let paths = ["/"];
      if (code !== undefined) {
        const unit = typeof code === "string" ? await prisma.adminUnit.findUnique({ where: { code }, select: { path: true } }) : null;
        if (!unit) {
          console.error(`unknown unit ${String(code)}`);
          return 2;
        }
        paths = [unit.path];
      }
      const sessions = await openSessionsWithin(prisma, paths);
      if (ctx.args.options.json) {
        ctx.out(JSON.stringify(sessions.map((s) => ({ ...s, via: s.via ? channelRegistry.fromEnum(s.via) : null }))));
        return 0;
      }
      if (!sessions.length) ctx.out("No open console sessions.");
      const tz = ctx.config.TZ;
      for (const s of sessions) {
        const roles = s.roles.map((r) => `${roleLabels[r.role]} ${r.unitName}`).join("; ");
        const via = s.via ? channelRegistry.label(channelRegistry.fromEnum(s.via)) : "?";
        ctx.out(`#${s.id}  ${s.name} (person ${s.personId})  ${roles}  via ${via}  ${s.device ?? "?"}  since ${formatVietnamTime(s.createdAt, tz)}  last ${formatVietnamTime(s.lastSeenAt, tz)}`);
      }
      return 0;
    },
  },
  {
    name: "console-revoke",
    usage: "console-revoke --session ID",
    summary: "end one console session (its browser is refused at its next request)",
    async run(ctx) {
      let id: number;
      try {
        id = Number(requireOption(ctx.args, "session").replace(/^#/, ""));
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(error.message);
        return 2;
      }
      if (!Number.isSafeInteger(id) || id <= 0) {
        console.error("--session must be a session number from console-sessions");
        return 2;
      }
      const revoked = await revokeSession(ctx.db.prisma, { sessionId: id, personId: null, by: operator, reason: "revoke" });
      if (!revoked) {
        console.error(`No open session #${id}.`);
        return 1;
      }
      ctx.out(`Session #${id} revoked.`);
      return 0;
    },
  },
];
