// Operator commands for roles: invite, grant, revoke, audit.
import { channelRegistry } from "../channels/registry.ts";
import { orList } from "../core/text.ts";
import type { RoleName } from "../core/types.ts";
import { createInvite, grantRole, personForAccount, revokeRole } from "../features/access/service.ts";
import { formatVietnamTime } from "../core/helpers.ts";
import { recentAudit } from "../security/audit.ts";
import { requireOption, UsageError, type ParsedArgs } from "./args.ts";
import type { AdminCommand, AdminContext } from "./types.ts";

const roles: Record<string, RoleName> = { officer: "OFFICER", supervisor: "SUPERVISOR", admin: "ADMIN" };
const channels = channelRegistry.names;
const operator = { personId: null, label: "cli:admin" };

function roleOption(args: ParsedArgs, required = true): RoleName | undefined {
  const value = args.options.role;
  if (value === undefined && !required) return undefined;
  const role = typeof value === "string" ? roles[value.toLowerCase()] : undefined;
  if (!role) throw new UsageError("--role must be officer, supervisor or admin");
  return role;
}

async function unitOption(ctx: AdminContext, required = true): Promise<string | undefined> {
  if (ctx.args.options.unit === undefined && !required) return undefined;
  const code = requireOption(ctx.args, "unit");
  // A key ("19288", "44-20250630"), else an official code: the unit in force, or else the one old unit
  // that had it (roles on old units are for their 2022–2024 figures).
  const { prisma } = ctx.db;
  const byCode = await prisma.adminUnit.findMany({ where: { officialCode: code }, orderBy: { validTo: { sort: "desc", nulls: "first" } } });
  const unit =
    (await prisma.adminUnit.findUnique({ where: { code } })) ?? byCode.find((u) => !u.validTo) ?? (byCode.length === 1 ? byCode[0] : undefined);
  if (!unit && byCode.length > 1) throw new UsageError(`unit code ${code} names several old units: ${byCode.map((u) => u.code).join(", ")}`);
  if (!unit) throw new UsageError(`unknown unit ${code} (import units first: npm run admin -- import-units FILE.csv)`);
  return unit.code;
}

async function accountOption(ctx: AdminContext): Promise<number> {
  const channel = requireOption(ctx.args, "channel");
  if (!channelRegistry.has(channel)) throw new UsageError(`--channel must be ${orList(channels)}`);
  return personForAccount(ctx.db.prisma, channel, requireOption(ctx.args, "user"));
}

function usageErrors(run: AdminCommand["run"]): AdminCommand["run"] {
  return async (ctx) => {
    try {
      return await run(ctx);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      console.error(error.message);
      return 2;
    }
  };
}

export const accessCommands: AdminCommand[] = [
  {
    name: "invite",
    usage: "invite --role officer|supervisor|admin --unit CODE",
    summary: "one-time invite code (72 h) to redeem with /xacthuc",
    run: usageErrors(async (ctx) => {
      const role = roleOption(ctx.args)!;
      const unitCode = (await unitOption(ctx))!;
      const invite = await createInvite(ctx.db.prisma, { role, unitCode, by: operator });
      ctx.out(`${invite.code}`);
      console.error(`Valid until ${formatVietnamTime(invite.expiresAt, ctx.config.TZ)}, single use. The invitee types: /xacthuc ${invite.code}`);
      return 0;
    }),
  },
  {
    name: "grant",
    usage: `grant --channel ${channels.join("|")} --user ID --role R --unit CODE`,
    summary: "give a chat account a role on a unit",
    run: usageErrors(async (ctx) => {
      const role = roleOption(ctx.args)!;
      const unitCode = (await unitOption(ctx))!;
      const personId = await accountOption(ctx);
      const { created } = await grantRole(ctx.db.prisma, { personId, role, unitCode, by: operator });
      ctx.out(created ? `Granted ${role} on ${unitCode} to person ${personId}.` : `Person ${personId} already has ${role} on ${unitCode}.`);
      return 0;
    }),
  },
  {
    name: "revoke",
    usage: "revoke --channel C --user ID [--role R] [--unit CODE]",
    summary: "take roles away (all of them when no role/unit is given)",
    run: usageErrors(async (ctx) => {
      const role = roleOption(ctx.args, false);
      const unitCode = await unitOption(ctx, false);
      const personId = await accountOption(ctx);
      const count = await revokeRole(ctx.db.prisma, { personId, role, unitCode, by: operator });
      ctx.out(`Revoked ${count} role(s).`);
      return 0;
    }),
  },
  {
    name: "audit",
    usage: "audit [--limit N] [--json]",
    summary: "the audit log of privileged actions, newest first",
    run: async (ctx) => {
      const limit = Math.min(1000, Number(ctx.args.options.limit ?? 50) || 50);
      const entries = await recentAudit(ctx.db.prisma, limit);
      if (ctx.args.options.json) {
        ctx.out(JSON.stringify(entries));
        return 0;
      }
      for (const e of entries) {
        ctx.out(`${e.createdAt.toISOString()}  ${e.actorLabel.padEnd(22)} ${e.action.padEnd(22)} ${e.unitCode ?? "-"}  ${e.detail ? JSON.stringify(e.detail) : ""}`);
      }
      if (entries.length === 0) ctx.out("(empty)");
      return 0;
    },
  },
];
