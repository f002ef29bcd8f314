// Scheduled housekeeping, nightly: conversation logs older than the retention period are deleted, and so
// are dialogue states nobody touched for a day (an unfinished handoff, a pending choice…) and the database
// copy of the update ledger.
import type { Feature } from "../core/feature.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { QueueSet } from "../queue/queues.ts";
import { maintenanceQueue, startWorker } from "../queue/registry.ts";

export const MAINTENANCE_QUEUE = maintenanceQueue.name;
const PURGE_JOB = "purge-conversations" satisfies keyof typeof maintenanceQueue.jobs;

export async function purgeConversations(prisma: PrismaClient, retentionDays: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const [messages, unanswered] = await prisma.$transaction([
    prisma.conversationMessage.deleteMany({ where: { createdAt: { lt: cutoff } } }),
    prisma.unansweredQuestion.deleteMany({ where: { createdAt: { lt: cutoff } } }),
  ]);
  return messages.count + unanswered.count;
}

/** Dialogue state older than this is a conversation nobody will resume. */
export const DIALOGUE_STATE_MAX_IDLE_MS = 86_400_000;

/** Deletes dialogue states untouched for a day; returns how many. */
export async function purgeDialogueState(prisma: PrismaClient, now = new Date()): Promise<number> {
  const { count } = await prisma.conversationState.deleteMany({
    where: { updatedAt: { lt: new Date(now.getTime() - DIALOGUE_STATE_MAX_IDLE_MS) } },
  });
  return count;
}

export async function startMaintenance(
  queues: QueueSet,
  deps: { prisma: PrismaClient; log: Logger; retentionDays: number; tz: string },
): Promise<void> {
  // A Job Scheduler (BullMQ 6): upserting it on every start never creates a second schedule.
  await queues.queue(MAINTENANCE_QUEUE).upsertJobScheduler(
    PURGE_JOB,
    { pattern: "0 3 * * *", tz: deps.tz },
    { name: PURGE_JOB, opts: { removeOnComplete: 50, removeOnFail: 50 } },
  );
  const purge = async () => {
    const removed = await purgeConversations(deps.prisma, deps.retentionDays);
    deps.log.info({ removed, retentionDays: deps.retentionDays }, "purged old conversation records");
    const states = await purgeDialogueState(deps.prisma);
    if (states) deps.log.info({ removed: states }, "purged stale dialogue state");
    // The database copy of the update ledger (src/channels/ledger.ts) is needed for a day at most.
    const ledger = await deps.prisma.channelUpdate.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - 86_400_000) } } });
    if (ledger.count) deps.log.info({ removed: ledger.count }, "purged the update ledger");
  };
  startWorker(queues, maintenanceQueue, { [PURGE_JOB]: purge });
}

/** The nightly purge: a Job Scheduler on the maintenance queue and its worker. */
export const maintenanceFeature: Feature = {
  name: "maintenance",
  queues: [MAINTENANCE_QUEUE],
  async start({ services }) {
    const { queues, prisma, log, config } = services;
    await startMaintenance(queues, { prisma, log, retentionDays: config.CONVERSATION_RETENTION_DAYS, tz: config.TZ });
  },
};
