// The list of operator commands; each feature adds its own here.
import { accessCommands } from "./access.ts";
import { consoleCommands } from "./console.ts";
import { indicatorCommands } from "./indicators.ts";
import { qrCommand } from "./qr.ts";
import { taskCommands } from "./tasks.ts";
import type { AdminCommand } from "./types.ts";
import { faqCommands } from "./faq.ts";
import { unitCommands, unitGroupCommands } from "./units.ts";

export const adminCommands: AdminCommand[] = [...unitCommands, ...unitGroupCommands, ...accessCommands, ...consoleCommands, ...faqCommands, qrCommand, ...indicatorCommands, ...taskCommands];
