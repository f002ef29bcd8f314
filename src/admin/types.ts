import type { Config } from "../config/env.ts";
import type { Database } from "../db/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { ParsedArgs } from "./args.ts";

export interface AdminContext {
  config: Config;
  db: Database;
  log: Logger;
  args: ParsedArgs;
  out(line: string): void;
}

export interface AdminCommand {
  name: string;
  usage: string;
  summary: string;
  /** Returns the process exit code. */
  run(ctx: AdminContext): Promise<number>;
}
