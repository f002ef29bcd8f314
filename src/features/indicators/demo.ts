// seed-demo: real units and figures taken from the seed reports (content/demo/), loaded through the same
// importers as real files, so a newcomer can try /tiendo at once and see how mistakes are flagged. The
// reports' units are of the old list (valid to 30/6/2025); a small 2026 sample on units of today's two
// tiers (content/demo/hai-cap/) is added when the official list is loaded.
import { access, readdir } from "node:fs/promises";
import path from "node:path";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { contentDir } from "../../core/messages.ts";
import { importSuccessionsFile, importUnitsFile, linkSuccessorsByOldPlace } from "../units.ts";
import { importIndicatorFile, type ImportResult } from "./importer.ts";

export const demoDir = path.join(contentDir, "demo");
/** Files written exactly as the reports wrote them, mistakes included: checked (dry run), never imported. */
export const asReportedDir = path.join(demoDir, "nhu-bao-cao");
/** Sample figures (made up, marked so) for units in force: imported only over the official list. */
export const currentSampleDir = path.join(demoDir, "hai-cap");

export interface DemoReport {
  units: { created: number; updated: number; unchanged: number };
  /** Old → new links: from ke-thua.csv (provinces) and from the official list (communes, by old place). */
  successions: number;
  files: Array<{ file: string; result: ImportResult }>;
  asReported: Array<{ file: string; result: ImportResult }>;
  /** The 2026 sample on units in force; empty, with `currentSkipped`, when the official list is not loaded. */
  current: Array<{ file: string; result: ImportResult }>;
  currentSkipped: boolean;
}

async function csvFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".csv"))
    .map((e) => path.join(dir, e.name))
    .sort();
}

export async function seedDemo(prisma: PrismaClient, dir = demoDir): Promise<DemoReport> {
  const units = await importUnitsFile(prisma, path.join(dir, "don-vi.csv"));
  if (units.errors.length) throw new Error(`don-vi.csv: ${units.errors.map((e) => `dòng ${e.line}: ${e.message}`).join("; ")}`);
  let successions = 0;
  const links = path.join(dir, "ke-thua.csv");
  if (await access(links).then(() => true, () => false)) {
    const result = await importSuccessionsFile(prisma, links, "demo:ke-thua.csv");
    // The demo's successors are units of the official list; without it (UNIT_LIST=none) there are none.
    if (result.errors.length && (await prisma.unitListLoad.count()) > 0) {
      throw new Error(`ke-thua.csv: ${result.errors.map((e) => `dòng ${e.line}: ${e.message}`).join("; ")}`);
    }
    successions += result.created;
  }
  successions += await linkSuccessorsByOldPlace(prisma);
  const officialList = (await prisma.unitListLoad.count()) > 0;
  const report: DemoReport = { units, successions, files: [], asReported: [], current: [], currentSkipped: !officialList };
  for (const file of (await csvFiles(dir)).filter((f) => !["don-vi.csv", "ke-thua.csv"].includes(path.basename(f)))) {
    const result = await importIndicatorFile(prisma, file, { source: "DEMO", enteredBy: `demo:${path.basename(file)}` });
    report.files.push({ file, result });
  }
  if (officialList) {
    for (const file of await csvFiles(path.join(dir, path.basename(currentSampleDir))).catch(() => [])) {
      const result = await importIndicatorFile(prisma, file, { source: "DEMO", enteredBy: `demo:${path.basename(file)}` });
      report.current.push({ file, result });
    }
  }
  const checked = path.join(dir, path.basename(asReportedDir));
  for (const file of await csvFiles(checked).catch(() => [])) {
    const result = await importIndicatorFile(prisma, file, { source: "DEMO", enteredBy: "demo", dryRun: true });
    report.asReported.push({ file, result });
  }
  return report;
}
