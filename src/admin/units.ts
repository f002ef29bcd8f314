// import-units FILE.csv|FILE.xlsx: the administrative tree (code,name,level,parent_code[,valid_from,valid_to]);
// units [--json] [--level L] [--province CODE] [--all]: the units in force (all editions with --all).
import { rowErrorLines } from "../core/tabular.ts";
import { importUnitsFile, type UnitLevel } from "../features/units.ts";
import type { AdminCommand } from "./types.ts";

const levels: Record<string, UnitLevel> = { province: "PROVINCE", district: "DISTRICT", commune: "COMMUNE", village: "VILLAGE" };
const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

export const unitCommands: AdminCommand[] = [
  {
    name: "import-units",
    usage: "import-units FILE.csv|FILE.xlsx [--dry-run]",
    summary: "create units from a CSV or .xlsx (code,name,level,parent_code[,valid_from,valid_to]); never renames one in place",
    async run(ctx) {
      const file = ctx.args.positional[0];
      if (!file) {
        console.error("usage: npm run admin -- import-units FILE.csv|FILE.xlsx [--dry-run]");
        return 2;
      }
      const dryRun = Boolean(ctx.args.options["dry-run"]);
      const result = await importUnitsFile(ctx.db.prisma, file, { dryRun });
      for (const line of rowErrorLines(result.errors)) console.error(line);
      if (result.errors.length) {
        console.error(`${file}: không nhập gì — ${result.errors.length} dòng có lỗi.`);
        return 1;
      }
      ctx.out(
        `Units${dryRun ? " (kiểm tra, chưa ghi gì)" : ""}: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged.`,
      );
      return 0;
    },
  },
  {
    name: "units",
    usage: "units [--json] [--level province|commune|village|district] [--province CODE] [--all]",
    summary: "list the units in force (--all: historical ones too), with their successors",
    async run(ctx) {
      const { prisma } = ctx.db;
      const levelOption = ctx.args.options.level;
      const level = typeof levelOption === "string" ? levels[levelOption.trim().toLowerCase()] : undefined;
      if (levelOption !== undefined && !level) {
        console.error(`--level: one of ${Object.keys(levels).join(", ")}`);
        return 2;
      }
      const province = typeof ctx.args.options.province === "string" ? ctx.args.options.province.trim() : undefined;
      if (ctx.args.options.province !== undefined && !province) {
        console.error("--province: a province code, e.g. 44");
        return 2;
      }
      const all = Boolean(ctx.args.options.all);
      const inProvince = province
        ? all
          ? {
              OR: [
                { path: { startsWith: `/${province}/` } },
                { successors: { some: { successor: { path: { startsWith: `/${province}/` } } } } },
              ],
            }
          : { path: { startsWith: `/${province}/` } }
        : {};
      const units = await prisma.adminUnit.findMany({
        where: { ...(level ? { level } : {}), ...(all ? {} : { validTo: null }), ...inProvince },
        select: {
          code: true, officialCode: true, name: true, level: true, parentCode: true, validFrom: true, validTo: true,
          successors: { select: { successorCode: true, kind: true, effectiveDate: true }, orderBy: { successorCode: "asc" } },
        },
        orderBy: [{ path: "asc" }],
      });
      const rows = units.map((u) => ({
        code: u.code,
        officialCode: u.officialCode,
        name: u.name,
        level: u.level.toLowerCase(),
        parentCode: u.parentCode,
        validFrom: day(u.validFrom),
        validTo: day(u.validTo),
        successors: u.successors.map((s) => ({ code: s.successorCode, kind: s.kind.toLowerCase(), effectiveDate: day(s.effectiveDate) })),
      }));
      if (ctx.args.options.json) {
        ctx.out(JSON.stringify(rows));
        return 0;
      }
      for (const r of rows) {
        const validity = r.validTo ? ` (đến ${r.validTo})` : "";
        const next = r.successors.length ? ` → ${r.successors.map((s) => s.code).join(", ")}` : "";
        ctx.out(`${r.code.padEnd(16)} ${r.level.padEnd(9)} ${r.name}${validity}${next}`);
      }
      ctx.out(`${rows.length} đơn vị.`);
      return 0;
    },
  },
];
