// `npm run --silent ask -- [--json] [--user ID] [question]`
import { createCore } from "../app.ts";
import { parseAskArgs, runAsk } from "../channels/cli/ask.ts";
import { withDatabase } from "./bootstrap.ts";

await withDatabase(async ({ config, db, log }) => {
  const core = createCore({ config, db, log });
  await runAsk(core.pipeline, parseAskArgs(process.argv.slice(2)), {
    input: process.stdin,
    write: (line) => process.stdout.write(`${line}\n`),
  });
});
