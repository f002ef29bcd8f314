// Authorization in one place. Every privileged command asks `authorize` and answers a refusal politely.
// A role is bound to a unit; its rights apply to that unit and every unit below it.
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Actor, RoleName } from "../core/types.ts";

export type Permission =
  | "indicators.view" // /tiendo
  | "indicators.write" // officer-entered figures
  | "tasks.view" // /viec
  | "tasks.complete" // /xong
  | "tasks.create" // supervisors create plan tasks
  | "reminders.personal" // /nhac
  | "handoff.answer" // answer citizens' questions, bind an officer group
  | "broadcast.send" // /thongbao
  | "invite.create" // /moi
  | "audit.view" // audit log
  | "roles.manage" // grant / revoke
  | "content.review"; // unanswered questions, in the console

const rights: Record<RoleName, ReadonlySet<Permission>> = {
  OFFICER: new Set<Permission>([
    "indicators.view", "indicators.write", "tasks.view", "tasks.complete", "reminders.personal", "handoff.answer",
  ]),
  SUPERVISOR: new Set<Permission>([
    "indicators.view", "indicators.write", "tasks.view", "tasks.complete", "tasks.create", "reminders.personal",
    "handoff.answer", "broadcast.send", "invite.create",
  ]),
  ADMIN: new Set<Permission>([
    "indicators.view", "indicators.write", "tasks.view", "tasks.complete", "tasks.create", "reminders.personal",
    "handoff.answer", "broadcast.send", "invite.create", "audit.view", "roles.manage", "content.review",
  ]),
};

/** Roles a holder may invite others into: never above their own. */
const invitable: Record<RoleName, readonly RoleName[]> = {
  OFFICER: [],
  SUPERVISOR: ["OFFICER", "SUPERVISOR"],
  ADMIN: ["OFFICER", "SUPERVISOR", "ADMIN"],
};

export interface Decision {
  allowed: boolean;
  /** The role grant that allows it (the one highest in the tree). */
  via?: { role: RoleName; unitCode: string };
}

export function hasPermission(role: RoleName, permission: Permission): boolean {
  return rights[role].has(permission);
}

export function isStaff(actor: Pick<Actor, "roles">): boolean {
  return actor.roles.length > 0;
}

/** "/44/450/" contains "/44/450/19123/" and itself. */
export function pathWithin(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}

export async function unitPaths(prisma: PrismaClient, codes: string[]): Promise<Map<string, string>> {
  const units = await prisma.adminUnit.findMany({ where: { code: { in: [...new Set(codes)] } }, select: { code: true, path: true } });
  return new Map(units.map((u) => [u.code, u.path]));
}

/**
 * May the actor do `permission` on `unitCode` (or anywhere, when unitCode is omitted)?
 * Grants on units that no longer exist allow nothing.
 */
export async function authorize(
  prisma: PrismaClient,
  actor: Pick<Actor, "roles">,
  permission: Permission,
  unitCode?: string,
): Promise<Decision> {
  const grants = actor.roles.filter((g) => hasPermission(g.role, permission));
  if (grants.length === 0) return { allowed: false };
  const paths = await unitPaths(prisma, [...grants.map((g) => g.unitCode), ...(unitCode ? [unitCode] : [])]);
  const target = unitCode ? paths.get(unitCode) : undefined;
  if (unitCode && !target) return { allowed: false };
  const matching = grants
    .filter((g) => paths.has(g.unitCode) && (!target || pathWithin(target, paths.get(g.unitCode)!)))
    .sort((a, b) => paths.get(a.unitCode)!.length - paths.get(b.unitCode)!.length);
  const via = matching[0];
  return via ? { allowed: true, via: { role: via.role, unitCode: via.unitCode } } : { allowed: false };
}

export function mayInvite(inviter: RoleName, role: RoleName): boolean {
  return invitable[inviter].includes(role);
}
