// import-units FILE.csv: the administrative tree (code,name,level,parent_code), idempotent.
import { importUnitsFile } from "../features/units.ts";
import type { AdminCommand } from "./types.ts";

export const unitCommands: AdminCommand[] = [
  {
    name: "import-units",
    usage: "import-units FILE.csv",
    summary: "create or update units from a CSV (code,name,level,parent_code)",
    async run(ctx) {
      const file = ctx.args.positional[0];
      if (!file) {
        console.error("usage: npm run admin -- import-units FILE.csv");
        return 2;
      }
      const result = await importUnitsFile(ctx.db.prisma, file);
      for (const e of result.errors) console.error(`Dòng ${e.line}: ${e.message}`);
      if (result.errors.length) {
        console.error(`Không nhập gì: ${result.errors.length} lỗi.`);
        return 1;
      }
      ctx.out(`Units: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged.`);
      return 0;
    },
  },
];
