// The audit log: every privileged action, who did it, on which unit, when.
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface AuditEntry {
  /** The person acting in chat, when there is one. */
  actorPersonId?: number | null;
  /** How the actor is known ("telegram:123", "cli:admin", "api"). */
  actorLabel: string;
  action: string;
  unitCode?: string | null;
  detail?: Record<string, unknown>;
}

type AuditWriter = Pick<PrismaClient, "auditLog">;

export async function audit(prisma: AuditWriter, entry: AuditEntry): Promise<void> {
  await prisma.auditLog.create({
    data: {
      actorPersonId: entry.actorPersonId ?? null,
      actorLabel: entry.actorLabel,
      action: entry.action,
      unitCode: entry.unitCode ?? null,
      detail: (entry.detail ?? undefined) as object | undefined,
    },
  });
}

export async function recentAudit(prisma: PrismaClient, limit = 50) {
  return prisma.auditLog.findMany({ orderBy: { id: "desc" }, take: limit });
}
