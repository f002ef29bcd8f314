// The list of operator commands; each feature adds its own here.
import type { AdminCommand } from "./types.ts";

export const adminCommands: AdminCommand[] = [];
