// Announcements by supervisors: /thongbao in chat, /api/broadcasts over HTTP, fan-out through the outbox.
export { registerBroadcastCommands } from "./commands.ts";
export { broadcastApi } from "./api.ts";
export { startBroadcasts, configRates } from "./service.ts";
