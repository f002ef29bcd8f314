// unanswered: the questions the FAQ could not answer well, most frequent first, for content owners.
import { topUnanswered } from "../features/faq/index.ts";
import type { AdminCommand } from "./types.ts";

export const faqCommands: AdminCommand[] = [
  {
    name: "unanswered",
    usage: "unanswered [--limit N] [--days D] [--json]",
    summary: "most frequent questions the FAQ fell back on or was unsure about (redacted)",
    async run(ctx) {
      const limit = Math.min(500, Number(ctx.args.options.limit ?? 30) || 30);
      const days = Math.min(3650, Number(ctx.args.options.days ?? 90) || 90);
      const rows = await topUnanswered(ctx.db.prisma, limit, days);
      if (ctx.args.options.json) {
        ctx.out(JSON.stringify(rows));
        return 0;
      }
      if (rows.length === 0) ctx.out(`No unanswered questions in the last ${days} days.`);
      for (const r of rows) {
        const near = r.bestIntent ? `  (gần: ${r.bestIntent} ${(r.confidence * 100).toFixed(0)}%)` : "";
        ctx.out(`${String(r.count).padStart(5)}  ${r.text}${near}`);
      }
      return 0;
    },
  },
];
