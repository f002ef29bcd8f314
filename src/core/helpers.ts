// Small helpers every feature's commands use: the polite refusal, how an actor is named in audit logs, the
// Vietnamese names of roles, and the date-time format of messages. Kept here, not in one feature's command
// file, so that features do not import each other's commands for them.
import type { Reply, RoleName, TurnContext } from "./types.ts";

export const roleLabels: Record<RoleName, string> = {
  OFFICER: "cán bộ",
  SUPERVISOR: "giám sát (tổ công tác)",
  ADMIN: "quản trị",
};

/** How the turn's actor is named in audit logs and broadcast records: "<channel>:<user id>". */
export function actorLabel(ctx: TurnContext): string {
  return `${ctx.message.channel}:${ctx.message.userId}`;
}

export function formatVietnamTime(date: Date, tz: string): string {
  return new Intl.DateTimeFormat("vi-VN", { timeZone: tz, hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" }).format(date);
}

/** The polite refusal every privileged command answers with. */
export function refusal(ctx: TurnContext): Reply[] {
  return [{ text: ctx.services.messages.refused }];
}
