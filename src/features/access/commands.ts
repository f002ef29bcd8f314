// Chat commands for roles and privacy: /moi, /xacthuc, /lienket, /quyen, /nhatky, /xoadulieu.
import { actorLabel, formatVietnamTime, refusal, roleLabels } from "../../core/helpers.ts";
import { fill } from "../../core/messages.ts";
import type { Registrar } from "../../core/router.ts";
import type { Reply, RoleName, TurnContext } from "../../core/types.ts";
import { authorize, mayInvite } from "../../security/policy.ts";
import { recentAudit } from "../../security/audit.ts";
import { foldDiacritics } from "../../core/text.ts";
import { findUnits, successionNote, withNote } from "../units.ts";
import {
  createInvite,
  createLinkCode,
  eraseConversations,
  redeemInvite,
  redeemLinkCode,
} from "./service.ts";

const roleWords: Record<string, RoleName> = {
  canbo: "OFFICER", officer: "OFFICER",
  giamsat: "SUPERVISOR", supervisor: "SUPERVISOR", togiamsat: "SUPERVISOR", tocongtac: "SUPERVISOR",
  quantri: "ADMIN", admin: "ADMIN",
};

export function registerAccessCommands(router: Registrar): void {
  router.command({
    name: "moi",
    description: "Tạo mã mời cán bộ, giám sát",
    listedFor: "staff",
    async run(ctx, args) {
      const m = ctx.services.messages;
      const { prisma } = ctx.services;
      // Citizens learn nothing about this command beyond the refusal.
      if (!(await authorize(prisma, ctx.actor, "invite.create")).allowed) return refusal(ctx);
      const [roleWord, ...unitWords] = args.split(/\s+/).filter(Boolean);
      const role = roleWord ? roleWords[foldDiacritics(roleWord)] : undefined;
      if (!role || unitWords.length === 0) return [{ text: m.inviteUsage }];
      const found = await findUnits(prisma, unitWords.join(" "));
      const [unit] = found;
      if (!unit) return [{ text: fill(m.unitNotFound, { query: unitWords.join(" ") }) }];
      // An old name: say what it is now; a split one must be named again by its new name.
      const note = await successionNote(prisma, found);
      if (unit.formerly && unit.formerly.successorCount > 1) return [{ text: `${note}\n${m.unitSplitChoose}` }];
      const { via } = await authorize(prisma, ctx.actor, "invite.create", unit.code);
      if (!via) return refusal(ctx);
      if (!mayInvite(via.role, role)) return [{ text: m.inviteRoleTooHigh }];
      const invite = await createInvite(ctx.services.prisma, {
        role,
        unitCode: unit.code,
        by: { personId: ctx.actor.personId, label: actorLabel(ctx) },
      });
      ctx.doNotLog = true; // the code must not sit in the conversation log
      return withNote(unit.formerly ? note : undefined, [
        {
          text: fill(m.inviteCreated, {
            role: roleLabels[role],
            unit: unit.name,
            code: invite.code,
            expires: formatVietnamTime(invite.expiresAt, ctx.services.config.TZ),
          }),
        },
      ]);
    },
  });

  router.command({
    name: "xacthuc",
    description: "Xác thực cán bộ bằng mã mời",
    listedFor: "everyone",
    async run(ctx, args) {
      const m = ctx.services.messages;
      if (!args.trim()) return [{ text: m.redeemUsage }];
      ctx.doNotLog = true;
      const result = await redeemInvite(ctx.services.prisma, ctx.services.counter, {
        personId: ctx.actor.personId,
        label: actorLabel(ctx),
        code: args,
      });
      if (result.ok) return [{ text: fill(m.redeemOk, { role: roleLabels[result.role], unit: result.unitName }) }];
      switch (result.reason) {
        case "too_many_attempts":
          return [{ text: fill(m.tooManyAttempts, { minutes: Math.ceil(result.retryAfterSec / 60) }) }];
        case "expired":
          return [{ text: m.redeemExpired }];
        case "used":
          return [{ text: m.redeemUsed }];
        default:
          return [{ text: m.redeemInvalid }];
      }
    },
  });

  router.command({
    name: "lienket",
    description: "Liên kết tài khoản Telegram và Zalo",
    listedFor: "everyone",
    async run(ctx, args) {
      const m = ctx.services.messages;
      ctx.doNotLog = true;
      if (!args.trim()) {
        const link = await createLinkCode(ctx.services.prisma, ctx.actor.personId);
        return [{ text: fill(m.linkCreated, { code: link.code }) }];
      }
      const result = await redeemLinkCode(ctx.services.prisma, ctx.services.counter, {
        identityId: ctx.actor.identityId,
        personId: ctx.actor.personId,
        label: actorLabel(ctx),
        code: args,
      });
      if (result.ok) return [{ text: m.linkOk }];
      if (result.reason === "too_many_attempts") {
        return [{ text: fill(m.tooManyAttempts, { minutes: Math.ceil(result.retryAfterSec / 60) }) }];
      }
      return [{ text: m.linkInvalid }];
    },
  });

  router.command({
    name: "quyen",
    description: "Xem vai trò của tôi",
    listedFor: "everyone",
    async run(ctx) {
      const m = ctx.services.messages;
      if (ctx.actor.roles.length === 0) return [{ text: m.noRoles }];
      const units = await ctx.services.prisma.adminUnit.findMany({
        where: { code: { in: ctx.actor.roles.map((r) => r.unitCode) } },
        select: { code: true, name: true },
      });
      const names = new Map(units.map((u) => [u.code, u.name]));
      const lines = ctx.actor.roles.map((r) => `- ${roleLabels[r.role]}: ${names.get(r.unitCode) ?? r.unitCode} (${r.unitCode})`);
      return [{ text: fill(m.myRoles, { roles: lines.join("\n") }) }];
    },
  });

  router.command({
    name: "nhatky",
    description: "Nhật ký thao tác (quản trị)",
    listedFor: "staff",
    async run(ctx) {
      if (!(await authorize(ctx.services.prisma, ctx.actor, "audit.view")).allowed) return refusal(ctx);
      const entries = await recentAudit(ctx.services.prisma, 20);
      if (entries.length === 0) return [{ text: ctx.services.messages.auditEmpty }];
      const tz = ctx.services.config.TZ;
      return [
        {
          text: entries
            .map((e) => `${formatVietnamTime(e.createdAt, tz)} ${e.actorLabel} ${e.action}${e.unitCode ? ` @${e.unitCode}` : ""}`)
            .join("\n"),
        },
      ];
    },
  });

  router.command({
    name: "xoadulieu",
    description: "Xóa dữ liệu trò chuyện của tôi",
    listedFor: "everyone",
    async run(ctx) {
      ctx.doNotLog = true;
      return [
        {
          text: ctx.services.messages.eraseConfirm,
          buttons: [[{ label: "Xóa dữ liệu", payload: "erase:yes" }, { label: "Không xóa", payload: "erase:no" }]],
        },
      ];
    },
  });

  router.payload({
    prefix: "erase",
    async run(ctx, value) {
      ctx.doNotLog = true;
      if (value !== "yes") return [{ text: ctx.services.messages.eraseCancelled }];
      const erased = await eraseConversations(ctx.services.prisma, ctx.actor.personId, actorLabel(ctx));
      return [{ text: fill(ctx.services.messages.eraseDone, erased) }];
    },
  });
}
