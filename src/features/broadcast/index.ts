// Announcements by supervisors: /thongbao in chat, /api/broadcasts over HTTP, fan-out through the outbox.
import type { Feature } from "../../core/feature.ts";
import { broadcastApi } from "./api.ts";
import { registerBroadcastCommands } from "./commands.ts";
import { BROADCAST_QUEUE, configRates, startBroadcasts } from "./service.ts";

export const broadcastFeature: Feature = {
  name: "broadcast",
  register: (router) => registerBroadcastCommands(router),
  queues: [BROADCAST_QUEUE],
  async start({ services }) {
    const { queues, prisma, outbox, log, config, messages, registry } = services;
    await startBroadcasts({ queues, prisma, outbox, log, config, messages, registry });
  },
  api: ({ services }) => broadcastApi({ queues: services.queues, outbox: services.outbox, rates: configRates(services.config), registry: services.registry }),
};
