// import-units FILE.csv|FILE.xlsx: the administrative tree (code,name,level,parent_code[,valid_from,valid_to]);
// units [--json] [--level L] [--province CODE] [--all]: the units in force (all editions with --all);
// import-unit-groups, unit-groups, group-lead: groups of communes (cụm, liên xã) and their teams.
import { rowErrorLines } from "../core/tabular.ts";
import { importUnitsFile, type UnitLevel } from "../features/units.ts";
import { channelRegistry } from "../channels/registry.ts";
import { personForAccount } from "../features/access/service.ts";
import { importUnitGroupsFile, setGroupLead } from "../features/unit-groups.ts";
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

const groupAccount = async (ctx: Parameters<AdminCommand["run"]>[0]): Promise<number | string> => {
  const channel = typeof ctx.args.options.channel === "string" ? ctx.args.options.channel : "";
  const user = typeof ctx.args.options.user === "string" ? ctx.args.options.user : "";
  if (!channelRegistry.has(channel) || !user) return `--channel ${channelRegistry.names.join("|")} --user ID`;
  return personForAccount(ctx.db.prisma, channel, user);
};

/** Groups of communes (cụm, liên xã) and their teams; see features/unit-groups.ts. */
export const unitGroupCommands: AdminCommand[] = [
  {
    name: "import-unit-groups",
    usage: "import-unit-groups FILE.csv|FILE.xlsx [--dry-run]",
    summary: "groups of communes with their own team (group_code,group_name,unit_code); replaces the member lists of the groups named",
    async run(ctx) {
      const file = ctx.args.positional[0];
      if (!file) {
        console.error("usage: npm run admin -- import-unit-groups FILE.csv|FILE.xlsx [--dry-run]");
        return 2;
      }
      const dryRun = Boolean(ctx.args.options["dry-run"]);
      const result = await importUnitGroupsFile(ctx.db.prisma, file, { dryRun });
      for (const line of rowErrorLines(result.errors)) console.error(line);
      if (result.errors.length) {
        console.error(`${file}: không nhập gì — ${result.errors.length} dòng có lỗi.`);
        return 1;
      }
      ctx.out(`Cụm${dryRun ? " (kiểm tra, chưa ghi gì)" : ""}: ${result.groups} cụm, ${result.members} xã, phường.`);
      return 0;
    },
  },
  {
    name: "unit-groups",
    usage: "unit-groups [--json] [--province CODE]",
    summary: "the groups of communes, their members and how many leads each has",
    async run(ctx) {
      const province = typeof ctx.args.options.province === "string" ? ctx.args.options.province.trim() : undefined;
      const groups = await ctx.db.prisma.unitGroup.findMany({
        where: province ? { provinceCode: province } : {},
        select: { code: true, name: true, provinceCode: true, members: { select: { unitCode: true }, orderBy: { unitCode: "asc" } }, _count: { select: { leads: true } } },
        orderBy: { code: "asc" },
      });
      const rows = groups.map((g) => ({ code: g.code, name: g.name, provinceCode: g.provinceCode, members: g.members.map((m) => m.unitCode), leads: g._count.leads }));
      if (ctx.args.options.json) ctx.out(JSON.stringify(rows));
      else {
        for (const r of rows) ctx.out(`${r.code.padEnd(12)} ${r.name} (tỉnh ${r.provinceCode}): ${r.members.length} xã, phường, ${r.leads} người phụ trách`);
        ctx.out(`${rows.length} cụm.`);
      }
      return 0;
    },
  },
  {
    name: "group-lead",
    usage: `group-lead --group CODE --channel ${channelRegistry.names.join("|")} --user ID [--remove]`,
    summary: "add (or --remove) a person to a group's team: they receive its escalations and missing-report lists",
    async run(ctx) {
      const groupCode = typeof ctx.args.options.group === "string" ? ctx.args.options.group.trim() : "";
      const personId = groupCode ? await groupAccount(ctx) : "--group CODE";
      if (typeof personId === "string") {
        console.error(`group-lead needs ${personId}`);
        return 2;
      }
      const outcome = await setGroupLead(ctx.db.prisma, { groupCode, personId, remove: Boolean(ctx.args.options.remove), by: "cli:admin" });
      if (outcome === "unknown-group") {
        console.error(`unknown group ${groupCode} (npm run admin -- unit-groups)`);
        return 1;
      }
      ctx.out(`${groupCode}: person ${personId} ${outcome}.`);
      return 0;
    },
  },
];
