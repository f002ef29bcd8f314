// Plan tasks: /viec, /xong, /giaoviec, /doihan (commands.ts); the domain (service.ts); imports (import.ts).
import type { Feature } from "../../core/feature.ts";
import { registerTaskCommands, type TaskCommandDeps } from "./commands.ts";

/** `deps.reminders` is how task changes reach the reminders feature (tasks do not import it). */
export function tasksFeature(deps: TaskCommandDeps): Feature {
  return { name: "tasks", register: (router) => registerTaskCommands(router, deps) };
}
