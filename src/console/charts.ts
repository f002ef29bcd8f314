// Charts drawn on the server as inline SVG: nothing to download, no script, nothing for a strict CSP to
// block, and an old office browser shows them as well as a new one (any browser since IE 9 draws SVG).
// Each chart is an image with a text alternative (role="img" and a <title>), and every chart on a page
// sits next to a table with the same figures.
import { escapeHtml } from "./html.ts";

const FONT = "Segoe UI, Roboto, Noto Sans, Arial, sans-serif";
const BLUE = "#0b4f9c";
const RED = "#a4161a";
const GREEN = "#1d6b2f";
const INK = "#111111";

let counter = 0;
const nextId = (prefix: string) => `${prefix}${++counter}`;

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

export interface ChartBar {
  label: string;
  value: number;
  valueLabel: string;
  /** Drawn in red: below the reference (or the weakest units). */
  highlight?: boolean;
}

/** Horizontal bars, best first, with an optional reference line (the parent unit's rate, 100% of the target). */
export function barChart(o: { title: string; bars: ChartBar[]; max: number; reference?: { value: number; label: string } }): string {
  const width = 900;
  const left = 280;
  const right = 90;
  const top = 40;
  const barH = 22;
  const gap = 8;
  const height = top + Math.max(o.bars.length, 1) * (barH + gap) + 20;
  const max = Math.max(o.max, ...o.bars.map((b) => b.value), o.reference?.value ?? 0, 1e-9);
  const x = (v: number) => left + (Math.max(0, v) / max) * (width - left - right);
  const id = nextId("bar");
  const parts = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}" font-family="${FONT}">`,
    `<title id="${id}">${escapeHtml(o.title)}: ${o.bars.map((b) => `${escapeHtml(b.label)} ${escapeHtml(b.valueLabel)}`).join("; ")}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="17" font-weight="bold" fill="${INK}">${escapeHtml(cut(o.title, 90))}</text>`,
  ];
  o.bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    const w = Math.max(2, x(b.value) - left);
    parts.push(
      `<text x="${left - 8}" y="${y + 16}" text-anchor="end" font-size="14" fill="${INK}">${escapeHtml(cut(b.label, 36))}</text>`,
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.highlight ? RED : BLUE}"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + 16}" font-size="14" font-weight="bold" fill="${INK}">${escapeHtml(b.valueLabel)}</text>`,
    );
  });
  if (o.reference) {
    const rx = x(o.reference.value).toFixed(1);
    parts.push(
      `<line x1="${rx}" y1="${top - 6}" x2="${rx}" y2="${height - 16}" stroke="${GREEN}" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${rx}" y="${top - 9}" text-anchor="middle" font-size="13" fill="${GREEN}">${escapeHtml(cut(o.reference.label, 50))}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

export interface Point {
  label: string;
  value: number;
  valueLabel: string;
}

/** A line over periods. `small`: a sparkline for a table cell (no axis texts, the last value marked). */
export function lineChart(o: { title: string; points: Point[]; small?: boolean; max?: number }): string {
  const small = o.small ?? false;
  const width = small ? 140 : 900;
  const height = small ? 36 : 280;
  const pad = small ? { l: 4, r: 6, t: 6, b: 6 } : { l: 60, r: 30, t: 44, b: 46 };
  const values = o.points.map((p) => p.value);
  const max = Math.max(o.max ?? 0, ...values, 1e-9);
  const min = small ? Math.min(...values, max) : 0;
  const span = max - min || 1;
  const x = (i: number) => pad.l + (o.points.length <= 1 ? (width - pad.l - pad.r) / 2 : (i / (o.points.length - 1)) * (width - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - (v - min) / span) * (height - pad.t - pad.b);
  const id = nextId("line");
  const alt = `${o.title}: ${o.points.map((p) => `${p.label} ${p.valueLabel}`).join("; ")}`;
  const parts = [
    `<svg class="${small ? "spark" : "chart"}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}" font-family="${FONT}">`,
    `<title id="${id}">${escapeHtml(alt)}</title>`,
  ];
  if (!small) {
    parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`, `<text x="12" y="24" font-size="17" font-weight="bold" fill="${INK}">${escapeHtml(cut(o.title, 90))}</text>`);
    for (const f of [0, 0.5, 1]) {
      const gy = y(min + f * span).toFixed(1);
      parts.push(`<line x1="${pad.l}" y1="${gy}" x2="${width - pad.r}" y2="${gy}" stroke="#c5ccd6" stroke-width="1"/>`);
    }
  }
  const path = o.points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)} ${y(p.value).toFixed(1)}`).join(" ");
  if (o.points.length > 1) parts.push(`<path d="${path}" fill="none" stroke="${BLUE}" stroke-width="${small ? 2 : 3}"/>`);
  o.points.forEach((p, i) => {
    const last = i === o.points.length - 1;
    if (small && !last) return;
    parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${small ? 3 : 5}" fill="${BLUE}"/>`);
    if (!small) {
      parts.push(
        `<text x="${x(i).toFixed(1)}" y="${(y(p.value) - 10).toFixed(1)}" text-anchor="middle" font-size="13" font-weight="bold" fill="${INK}">${escapeHtml(p.valueLabel)}</text>`,
        `<text x="${x(i).toFixed(1)}" y="${height - 18}" text-anchor="middle" font-size="13" fill="${INK}">${escapeHtml(cut(p.label, 14))}</text>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("");
}
