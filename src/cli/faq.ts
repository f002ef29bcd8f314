// `npm run --silent faq -- <command>`
//   export               JSON array [{"id","title","questions":[…],"answer"}] of every intent
//   validate             checks intents/, content/ and the lexicon; lists problems, exit 1 if any
//   match <question>     what the matcher makes of a question (JSON)
//   calibrate [--write]  refits the confidence model and thresholds (never on the dev set)
import path from "node:path";
import { KnowledgeBaseError, loadKnowledgeBase, repoRoot } from "../features/faq/knowledge.ts";
import { FaqMatcher } from "../features/faq/matcher.ts";
import { exportFaq } from "../features/faq/export.ts";
import { calibrate, writeCalibration } from "../features/faq/calibrate.ts";
import { loadLabelled } from "../features/faq/evaluate.ts";

const usage = `usage: npm run --silent faq -- export | validate | match <question> | calibrate [--write]`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  switch (command) {
    case "export": {
      process.stdout.write(`${JSON.stringify(exportFaq(loadKnowledgeBase()), null, 2)}\n`);
      return 0;
    }
    case "validate": {
      const kb = loadKnowledgeBase();
      console.log(`ok: ${kb.intents.length} intents in ${kb.topics.length} topics`);
      return 0;
    }
    case "match": {
      const question = rest.join(" ");
      const kb = loadKnowledgeBase();
      const result = new FaqMatcher(kb).match(question);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    case "calibrate": {
      const kb = loadKnowledgeBase();
      const list = loadLabelled(path.join(repoRoot, "tests/fixtures/faq-calibration.yaml"));
      const result = calibrate(kb, list);
      for (const line of result.report) console.log(line);
      if (rest.includes("--write")) {
        writeCalibration(result);
        console.log("written to src/features/faq/calibration.ts");
      }
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (error instanceof KnowledgeBaseError) console.error(error.message);
  else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
