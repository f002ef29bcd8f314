// Chat commands for plan tasks:
//   /viec                          open tasks of my units (officers: their unit; supervisors: their subtree)
//   /xong <số> [ghi chú]           complete my unit's part of a task (officer of a responsible unit, or a
//                                  supervisor above it: completes every unit of the task in their subtree)
//   /giaoviec <đơn vị>; <hạn>; <việc> [; <văn bản>]   supervisors assign a task
//   /doihan <số> <hạn mới>         supervisors change a deadline (reminders are rescheduled)
import { fill } from "../../core/messages.ts";
import type { Registrar } from "../../core/router.ts";
import type { Reply, TurnContext } from "../../core/types.ts";
import { authorize, unitPaths } from "../../security/policy.ts";
import { actorLabel, refusal } from "../../core/helpers.ts";
import type { CoreServices } from "../../core/types.ts";
import { findUnits, successionNote, withNote } from "../units.ts";
import { parseDeadline, type Deadline } from "./deadline.ts";
import { changeDeadline, completeUnits, createTask, deadlineLabel, dueNote, openTasksUnder, type TaskContext, type TaskReminders } from "./service.ts";

export interface TaskCommandDeps {
  /** The reminders of a turn's task changes (the reminders feature's taskRemindersFor); absent: none. */
  reminders?: (services: CoreServices) => TaskReminders | undefined;
}

function actorOf(ctx: TurnContext) {
  return { personId: ctx.actor.personId, label: actorLabel(ctx) };
}

/** Units (codes) of a task on which the actor may act with `permission`. */
async function unitsActorMay(ctx: TurnContext, unitCodes: string[], permission: "tasks.complete" | "tasks.create"): Promise<string[]> {
  const allowed: string[] = [];
  for (const code of unitCodes) if ((await authorize(ctx.services.prisma, ctx.actor, permission, code)).allowed) allowed.push(code);
  return allowed;
}

export function registerTaskCommands(router: Registrar, deps: TaskCommandDeps): void {
  const taskContext = (ctx: TurnContext): TaskContext => ({
    prisma: ctx.services.prisma,
    settings: ctx.services.config,
    messages: ctx.services.messages,
    reminders: deps.reminders?.(ctx.services),
  });

  router.command({
    name: "viec",
    aliases: ["congviec"],
    description: "Việc được giao của đơn vị, theo hạn",
    listedFor: "staff",
    async run(ctx) {
      const m = ctx.services.messages;
      const { prisma, config } = ctx.services;
      if (!(await authorize(prisma, ctx.actor, "tasks.view")).allowed) return refusal(ctx);
      const grants = ctx.actor.roles;
      const paths = [...(await unitPaths(prisma, grants.map((g) => g.unitCode))).values()];
      const tasks = await openTasksUnder(prisma, paths);
      if (tasks.length === 0) return [{ text: m.taskListEmpty! }];
      const now = new Date();
      const inScope = (path: string | undefined) => Boolean(path && paths.some((p) => path.startsWith(p)));
      const unitPathsOfTasks = await unitPaths(prisma, tasks.flatMap((t) => t.units.map((u) => u.unitCode)));
      const lines = tasks.map((t) => {
        const mine = t.units.filter((u) => !u.completedAt && inScope(unitPathsOfTasks.get(u.unitCode)));
        const others = t.units.length - mine.length;
        return (
          `#${t.id} ${t.title}\n   Hạn: ${deadlineLabel(t)}${dueNote(t, now, config.TZ)}` +
          `\n   Đơn vị: ${mine.map((u) => u.unit.name).join(", ")}${others ? ` (+${others} đơn vị khác)` : ""}` +
          (t.document ? `\n   Văn bản: ${t.document}` : "")
        );
      });
      return [{ text: fill(m.taskList!, { count: tasks.length, tasks: lines.join("\n") }) }];
    },
  });

  router.command({
    name: "xong",
    aliases: ["hoanthanh"],
    description: "Báo hoàn thành một việc: /xong <số> [ghi chú]",
    listedFor: "staff",
    async run(ctx, args) {
      const m = ctx.services.messages;
      const { prisma } = ctx.services;
      if (!(await authorize(prisma, ctx.actor, "tasks.complete")).allowed) return refusal(ctx);
      const match = /^#?(\d{1,9})(?:\s+([\s\S]*))?$/.exec(args.trim());
      if (!match) return [{ text: m.taskDoneUsage! }];
      const taskId = Number(match[1]);
      const note = match[2]?.trim().slice(0, 1000) || null;
      const task = await prisma.planTask.findUnique({ where: { id: taskId }, include: { units: { include: { unit: { select: { name: true } } } } } });
      if (!task) return [{ text: fill(m.taskNotFound!, { id: taskId }) }];
      const mayUnits = await unitsActorMay(ctx, task.units.map((u) => u.unitCode), "tasks.complete");
      if (mayUnits.length === 0) return refusal(ctx);
      if (task.status === "DONE") return [{ text: fill(m.taskAlreadyDone!, { id: taskId, title: task.title }) }];
      const open = task.units.filter((u) => !u.completedAt && mayUnits.includes(u.unitCode));
      if (open.length === 0) return [{ text: fill(m.taskAlreadyDone!, { id: taskId, title: task.title }) }];
      const result = await completeUnits(taskContext(ctx), taskId, open.map((u) => u.unitCode), note, actorOf(ctx));
      const names = task.units.filter((u) => result.completedUnits.includes(u.unitCode)).map((u) => u.unit.name).join(", ");
      const left = task.units.length - task.units.filter((u) => u.completedAt).length - result.completedUnits.length;
      return [
        {
          text: result.taskDone
            ? fill(m.taskDoneAll!, { id: taskId, title: task.title, units: names })
            : fill(m.taskDonePart!, { id: taskId, title: task.title, units: names, left }),
        },
      ];
    },
  });

  router.command({
    name: "giaoviec",
    description: "Giao việc: /giaoviec <đơn vị>; <hạn>; <nội dung> [; <văn bản>]",
    listedFor: "staff",
    async run(ctx, args) {
      const m = ctx.services.messages;
      const { prisma } = ctx.services;
      if (!(await authorize(prisma, ctx.actor, "tasks.create")).allowed) return refusal(ctx);
      const fields = args.split(/\s*;\s*/).map((f) => f.trim());
      if (fields.length < 3 || fields.slice(0, 3).some((f) => !f)) return [{ text: m.taskCreateUsage! }];
      const [unitText, deadlineText, title, document] = fields as [string, string, string, string | undefined];
      const deadline = parseDeadline(deadlineText);
      if ("error" in deadline) return [{ text: fill(m.taskBadDeadline!, { error: deadline.error }) }];
      const unitCodes: string[] = [];
      const notes: string[] = [];
      for (const part of unitText.split(/\s*,\s*/).filter(Boolean)) {
        const found = await findUnits(prisma, part);
        const note = await successionNote(prisma, found);
        if (note) notes.push(note);
        if (found.length === 0) return [{ text: fill(m.unitNotFound, { query: part }) }];
        if (found.length > 1) {
          return [{ text: fill(m.taskUnitAmbiguous!, { query: part, units: found.map((u) => `${u.name} (${u.code})`).join(", ") }) }];
        }
        unitCodes.push(found[0]!.code);
      }
      const allowed = await unitsActorMay(ctx, unitCodes, "tasks.create");
      if (allowed.length !== unitCodes.length) return refusal(ctx);
      const task = await createTask(taskContext(ctx), { title: title.slice(0, 1000), document: document?.slice(0, 500) || null, deadline, unitCodes }, actorOf(ctx), { notify: true });
      const names = (await prisma.adminUnit.findMany({ where: { code: { in: unitCodes } }, select: { name: true } })).map((u) => u.name);
      return withNote(notes.join("\n") || undefined, [{ text: fill(m.taskCreated!, { id: task.id, title: task.title, deadline: deadlineLabel(task), units: names.join(", ") }) }]);
    },
  });

  router.command({
    name: "doihan",
    description: "Đổi hạn một việc: /doihan <số> <hạn mới>",
    listedFor: "staff",
    async run(ctx, args) {
      const m = ctx.services.messages;
      const { prisma } = ctx.services;
      if (!(await authorize(prisma, ctx.actor, "tasks.create")).allowed) return refusal(ctx);
      const match = /^#?(\d{1,9})\s+(.+)$/.exec(args.trim());
      if (!match) return [{ text: m.taskDeadlineUsage! }];
      const taskId = Number(match[1]);
      const task = await prisma.planTask.findUnique({ where: { id: taskId }, include: { units: true } });
      if (!task) return [{ text: fill(m.taskNotFound!, { id: taskId }) }];
      const allowed = await unitsActorMay(ctx, task.units.map((u) => u.unitCode), "tasks.create");
      if (allowed.length !== task.units.length) return refusal(ctx);
      if (task.status === "DONE") return [{ text: fill(m.taskAlreadyDone!, { id: taskId, title: task.title }) }];
      const deadline = parseDeadline(match[2]!);
      if ("error" in deadline) return [{ text: fill(m.taskBadDeadline!, { error: deadline.error }) }];
      const updated = await changeDeadline(taskContext(ctx), taskId, deadline as Deadline, actorOf(ctx));
      return [{ text: fill(m.taskDeadlineChanged!, { id: taskId, title: task.title, from: deadlineLabel(task), to: deadlineLabel(updated) }) }];
    },
  });
}

export type { Reply };
