// Horizontal bar charts as PNG: an SVG drawn here, rendered by @resvg/resvg-js (a prebuilt renderer
// shipped in the npm package — no browser, no native build) with the Be Vietnam Pro font shipped in
// an npm package (never a system font), so Vietnamese diacritics render the same everywhere.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// The renderer (a native module) is loaded with the first chart, not with the conversation that may ask for one.
const resvg = () => require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
const fontFiles = [
  require.resolve("@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf"),
  require.resolve("@expo-google-fonts/be-vietnam-pro/700Bold/BeVietnamPro_700Bold.ttf"),
];
const FONT = "Be Vietnam Pro";

export interface Bar {
  label: string;
  value: number;
  /** Printed at the end of the bar (e.g. "65,6%"). */
  valueLabel: string;
  /** Drawn in the warning colour (e.g. below the reference line, or stale). */
  highlight?: boolean;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  bars: Bar[];
  /** Upper end of the axis; the largest value when omitted. */
  max?: number;
  /** A vertical reference line (e.g. 100% of the target). */
  reference?: { value: number; label: string };
  footnote?: string;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

export function barChartSvg(chart: BarChart): string {
  const width = 960;
  const left = 300;
  const right = 110;
  const top = chart.subtitle ? 92 : 70;
  const barHeight = 26;
  const gap = 8;
  const rows = Math.max(chart.bars.length, 1);
  const plotHeight = rows * (barHeight + gap);
  const height = top + plotHeight + (chart.footnote ? 56 : 30);
  const max = Math.max(chart.max ?? 0, ...chart.bars.map((b) => b.value), chart.reference?.value ?? 0, 1e-9);
  const plotWidth = width - left - right;
  const x = (v: number) => left + (Math.max(0, v) / max) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="24" y="36" font-family="${FONT}" font-size="22" font-weight="700" fill="#1f2937">${escapeXml(cut(chart.title, 70))}</text>`,
  ];
  if (chart.subtitle) {
    parts.push(`<text x="24" y="64" font-family="${FONT}" font-size="15" fill="#4b5563">${escapeXml(cut(chart.subtitle, 100))}</text>`);
  }
  chart.bars.forEach((bar, i) => {
    const y = top + i * (barHeight + gap);
    const w = Math.max(2, x(bar.value) - left);
    const colour = bar.highlight ? "#dc2626" : "#2563eb";
    parts.push(
      `<text x="${left - 10}" y="${y + barHeight * 0.7}" text-anchor="end" font-family="${FONT}" font-size="14" fill="#111827">${escapeXml(cut(bar.label, 34))}</text>`,
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" rx="3" fill="${colour}"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + barHeight * 0.7}" font-family="${FONT}" font-size="14" font-weight="700" fill="#111827">${escapeXml(bar.valueLabel)}</text>`,
    );
  });
  if (chart.reference) {
    const rx = x(chart.reference.value).toFixed(1);
    parts.push(
      `<line x1="${rx}" y1="${top - 8}" x2="${rx}" y2="${top + plotHeight}" stroke="#16a34a" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${rx}" y="${top - 12}" text-anchor="middle" font-family="${FONT}" font-size="13" fill="#16a34a">${escapeXml(chart.reference.label)}</text>`,
    );
  }
  if (chart.footnote) {
    parts.push(`<text x="24" y="${height - 20}" font-family="${FONT}" font-size="13" fill="#6b7280">${escapeXml(cut(chart.footnote, 130))}</text>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}

export function renderPng(svg: string): Buffer {
  const renderer = new (resvg().Resvg)(svg, {
    font: { loadSystemFonts: false, fontFiles, defaultFontFamily: FONT },
    background: "#ffffff",
  });
  return renderer.render().asPng();
}

export function barChartPng(chart: BarChart): Buffer {
  return renderPng(barChartSvg(chart));
}
