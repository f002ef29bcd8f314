// Reminders: /nhac (commands.ts), the "reminders" queue's worker and schedules (runtime.ts), task reminders
// (tasks.ts), planners of reports, overdue tasks and briefings (planner.ts).
import type { Feature } from "../../core/feature.ts";
import { registerReminderCommands } from "./commands.ts";
import { startReminders } from "./runtime.ts";
import { REMINDER_QUEUE } from "./service.ts";

export const remindersFeature: Feature = {
  name: "reminders",
  register: (router) => registerReminderCommands(router),
  queues: [REMINDER_QUEUE],
  async start({ services, channels }) {
    const { queues, prisma, outbox, log, config, messages, registry } = services;
    await startReminders({ queues, prisma, outbox, log, config, messages, registry, channels: [...channels.keys()] });
  },
};
