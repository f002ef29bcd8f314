// `npm run admin -- <command> [options]`: operator commands. Each command lives in src/admin/.
import { adminCommands } from "../admin/index.ts";
import { parseArgs } from "../admin/args.ts";
import { withDatabase } from "./bootstrap.ts";

const [name, ...rest] = process.argv.slice(2);
const command = adminCommands.find((c) => c.name === name);

if (!command) {
  console.log("Usage: npm run admin -- <command> [options]\n");
  for (const c of adminCommands) console.log(`  ${c.usage.padEnd(60)} ${c.summary}`);
  process.exitCode = name && name !== "help" ? 2 : 0;
} else {
  await withDatabase(({ config, db, log }) => command.run({ config, db, log, args: parseArgs(rest), out: (line) => console.log(line) }));
}
