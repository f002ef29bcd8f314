// `npm run eval:citizen -- FILE.jsonl [--quiet]` and `npm run eval:dialogues -- FILE.jsonl [--quiet]`:
// scores an acceptance set (format: ../shared/eval/README.md) through the real pipeline, on the CLI
// channel and a throwaway in-memory database (your DATA_DIR is not touched). Prints accuracy by topic
// and, unless --quiet, every failure with the reply it got. Exit code 2 for a bad file or arguments.
import { readFile } from "node:fs/promises";
import { createCore } from "../app.ts";
import { loadConfig } from "../config/env.ts";
import { openDatabase } from "../db/client.ts";
import {
  AcceptanceFileError,
  type Ask,
  formatDialogueReport,
  formatItemReport,
  parseAcceptanceDialogues,
  parseAcceptanceItems,
  pipelineAsk,
  runDialogues,
  runItems,
} from "../eval/acceptance.ts";
import { createLogger } from "../logging/logger.ts";

const usage = "usage: eval (citizen|dialogues) FILE.jsonl [--quiet]";

async function main(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  const quiet = rest.includes("--quiet");
  const files = rest.filter((a) => !a.startsWith("--"));
  if ((mode !== "citizen" && mode !== "dialogues") || files.length !== 1) {
    console.error(usage);
    return 2;
  }
  const file = files[0]!;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    console.error(`${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error)}`);
    return 2;
  }

  // The file is checked before the bot starts: a bad line fails fast.
  let run: (ask: Ask) => Promise<string>;
  try {
    if (mode === "citizen") {
      const items = parseAcceptanceItems(text, file);
      run = async (ask) => formatItemReport(await runItems(items, ask), { failures: !quiet });
    } else {
      const dialogues = parseAcceptanceDialogues(text, file);
      run = async (ask) => formatDialogueReport(await runDialogues(dialogues, ask), { failures: !quiet });
    }
  } catch (error) {
    if (!(error instanceof AcceptanceFileError)) throw error;
    console.error(error.message);
    return 2;
  }

  const db = await openDatabase({ pgliteDir: "memory://" });
  try {
    await db.migrate();
    const core = createCore({ config: loadConfig(), db, log: createLogger("silent") });
    console.log(await run(pipelineAsk(core.pipeline)));
    return 0;
  } finally {
    await db.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
