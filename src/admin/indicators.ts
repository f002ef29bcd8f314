// indicators [--json], import-indicators FILE [--dry-run], seed-demo: the indicator catalogue and figures.
import path from "node:path";
import { loadCatalog } from "../features/indicators/catalog.ts";
import { seedDemo } from "../features/indicators/demo.ts";
import { importIndicatorFile, type ImportResult } from "../features/indicators/importer.ts";
import { formatNumber } from "../features/indicators/numbers.ts";
import { rowLabel } from "../core/tabular.ts";
import { audit } from "../security/audit.ts";
import type { AdminCommand } from "./types.ts";

const kindLabel = { share: "tỷ lệ", target: "so với chỉ tiêu", count: "số đếm" } as const;

/** Prints errors and warnings ("Dòng N: …") and a one-line summary; returns the exit code. */
function printResult(
  result: ImportResult,
  out: (line: string) => void,
  err: (line: string) => void,
  name: string,
  limit = Number.POSITIVE_INFINITY,
): number {
  const list = (issues: ImportResult["errors"], kind: string) => {
    for (const issue of issues.slice(0, limit)) err(`${name}: ${rowLabel(issue.line)}: ${kind}: ${issue.message}`);
    if (issues.length > limit) err(`${name}: … và ${issues.length - limit} dòng khác.`);
  };
  list(result.errors, "LỖI");
  list(result.warnings, "cảnh báo");
  if (result.errors.length) {
    err(`${name}: không nhập dòng nào — ${result.errors.length} dòng có lỗi, ${result.warnings.length} cảnh báo (${result.rows} dòng).`);
    return 1;
  }
  if (result.dryRun) {
    out(`${name}: kiểm tra xong, chưa ghi gì — ${formatNumber(result.rows)} dòng hợp lệ, ${result.warnings.length} cảnh báo.`);
  } else {
    out(
      `${name}: đã nhập ${formatNumber(result.imported)} dòng (thay ${formatNumber(result.superseded)} số liệu cũ, ` +
        `${formatNumber(result.unchanged)} dòng không đổi), ${result.warnings.length} cảnh báo.`,
    );
  }
  return 0;
}

export const indicatorCommands: AdminCommand[] = [
  {
    name: "indicators",
    usage: "indicators [--json]",
    summary: "the indicator catalogue (content/indicators.yaml)",
    async run(ctx) {
      const catalog = loadCatalog();
      if (ctx.args.options.json) {
        // since/until: the days the indicator applies (null: open); an ended one is history, importable for old periods.
        ctx.out(JSON.stringify(catalog.list.map((d) => ({ code: d.code, name: d.name, group: d.group, kind: d.kind, since: d.since ?? null, until: d.until ?? null }))));
        return 0;
      }
      let group = "";
      for (const d of catalog.list) {
        if (d.group !== group) {
          group = d.group;
          ctx.out(`\n${group}`);
        }
        const ended = d.until ? ` — đã kết thúc sau ${d.until.split("-").reverse().join("/")}: ${d.ended}` : "";
        ctx.out(`  ${d.code.padEnd(26)} ${kindLabel[d.kind].padEnd(16)} ${d.name}${d.key ? " (chính)" : ""}${ended}`);
      }
      return 0;
    },
  },
  {
    name: "import-indicators",
    usage: "import-indicators FILE.csv|FILE.xlsx [--dry-run]",
    summary: "import figures (unit_code,period,indicator,numerator,denominator,reported_rate)",
    async run(ctx) {
      const file = ctx.args.positional[0];
      if (!file) {
        console.error(`usage: npm run admin -- ${indicatorCommands[1]!.usage}`);
        return 2;
      }
      const dryRun = Boolean(ctx.args.options["dry-run"]);
      const result = await importIndicatorFile(ctx.db.prisma, file, { source: "IMPORT", enteredBy: "cli:admin", dryRun });
      if (!dryRun && !result.errors.length) {
        await audit(ctx.db.prisma, {
          actorLabel: "cli:admin",
          action: "indicators.import",
          detail: { file: path.basename(file), rows: result.rows, imported: result.imported, superseded: result.superseded, warnings: result.warnings.length },
        });
      }
      return printResult(result, ctx.out, (line) => console.error(line), path.basename(file));
    },
  },
  {
    name: "seed-demo",
    usage: "seed-demo",
    summary: "load demo units and figures from the seed reports (content/demo/)",
    async run(ctx) {
      const report = await seedDemo(ctx.db.prisma);
      ctx.out(
        `Đơn vị (danh mục trước 01/07/2025): ${report.units.created} tạo mới, ${report.units.updated} cập nhật, ${report.units.unchanged} không đổi; ` +
          `${report.successions} liên kết sang đơn vị mới.`,
      );
      let failed = 0;
      for (const { file, result } of report.files) failed += printResult(result, ctx.out, ctx.out, path.basename(file));
      if (report.currentSkipped) {
        ctx.out("\nKhông nhập số liệu mẫu 2026 (content/demo/hai-cap/): chưa có danh mục đơn vị chính thức (UNIT_LIST=none).");
      } else {
        ctx.out("\nSố liệu mẫu 2026 trên đơn vị hiện nay (content/demo/hai-cap/, số bịa ra để thử, không phải số liệu thật):");
        for (const { file, result } of report.current) failed += printResult(result, ctx.out, ctx.out, `hai-cap/${path.basename(file)}`);
      }
      if (report.asReported.length) {
        ctx.out("\nKiểm tra các số liệu chép đúng như báo cáo (content/demo/nhu-bao-cao/, không nhập):");
        for (const { file, result } of report.asReported) printResult(result, ctx.out, ctx.out, `nhu-bao-cao/${path.basename(file)}`, 3);
      }
      ctx.out(
        '\nThử ngay: npm run admin -- grant --channel cli --user demo --role supervisor --unit 44 (tỉnh Quảng Trị hiện nay: số liệu mẫu 2026 ' +
          'và số liệu 2022–2024 của tỉnh Quảng Bình cũ đã nhập vào), rồi npm run --silent ask -- --user demo "/tiendo"; ' +
          "đơn vị cũ: --unit 44-20250630 (tỉnh Quảng Bình), --unit 457-20 (xã Sen Thủy).",
      );
      return failed ? 1 : 0;
    },
  },
];
