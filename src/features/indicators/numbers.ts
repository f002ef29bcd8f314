// Numbers as Vietnamese reports write them, and as the bot prints them.
//
// Reading ("1.234.567", "82,03", "1234567", "82.03", "67%", "19.23 %"):
// - a dot followed by groups of exactly three digits is a thousands separator: "1.234" is 1234;
// - a comma is the decimal mark: "82,03" is 82.03, "2,467" is 2.467 (not 2467);
// - a plain number with a dot and not three digits after it is a decimal: "19.23" is 19.23;
// - a trailing "%" and spaces (also no-break spaces) are ignored;
// - anything else ("1,234,567", "85/98", "12a") is not a number: the caller reports it, never guesses.

export type ParsedNumber = { ok: true; value: number } | { ok: false; reason: string };

const VN_GROUPED = /^\d{1,3}(\.\d{3})+(,\d+)?$/; // 1.234.567 or 1.234,5
const VN_DECIMAL = /^\d+(,\d+)?$/; // 1234567 or 82,03
const PLAIN_DECIMAL = /^\d+\.\d+$/; // 19.23 (a dot not followed by exactly three digits)

export function parseVietnameseNumber(raw: string | number | null | undefined): ParsedNumber {
  if (typeof raw === "number") return Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false, reason: "không phải số" };
  const text = (raw ?? "").replace(/[\s\u00A0\u202F]+/g, "").replace(/%$/, "");
  if (!text) return { ok: false, reason: "trống" };
  const negative = text.startsWith("-");
  const body = negative || text.startsWith("+") ? text.slice(1) : text;
  let value: number;
  if (VN_GROUPED.test(body)) value = Number(body.replace(/\./g, "").replace(",", "."));
  else if (VN_DECIMAL.test(body)) value = Number(body.replace(",", "."));
  else if (PLAIN_DECIMAL.test(body)) value = Number(body);
  else return { ok: false, reason: `"${raw}" không đúng định dạng số (ví dụ 1.234.567, 1234567 hoặc 82,03)` };
  if (!Number.isFinite(value)) return { ok: false, reason: `"${raw}" không phải số` };
  return { ok: true, value: negative ? -value : value };
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

/** 1234567 → "1.234.567"; 2.5 → "2,5" (at most `decimals` decimals, trailing zeros dropped). */
export function formatNumber(value: number, decimals = 0): string {
  const sign = value < 0 ? "-" : "";
  const fixed = Math.abs(value).toFixed(decimals);
  const [int, frac = ""] = fixed.split(".");
  const trimmed = frac.replace(/0+$/, "");
  return `${sign}${groupThousands(int!)}${trimmed ? `,${trimmed}` : ""}`;
}

/** Rates in percent: 65.634 → "65,6%", 0.077 → "0,08%", 100 → "100%". */
export function formatPercent(value: number, decimals?: number): string {
  const d = decimals ?? (Math.abs(value) > 0 && Math.abs(value) < 1 ? 2 : 1);
  return `${formatNumber(value, d)}%`;
}

/** A change in percentage points: +2.34 → "+2,3 điểm %", 0 → "không đổi". */
export function formatPointChange(delta: number): string {
  if (Math.abs(delta) < 0.05) return "±0 điểm %";
  return `${delta > 0 ? "+" : "−"}${formatNumber(Math.abs(delta), 1)} điểm %`;
}

/** A change in a count: +1234 → "+1.234". */
export function formatCountChange(delta: number): string {
  if (delta === 0) return "±0";
  return `${delta > 0 ? "+" : "−"}${formatNumber(Math.abs(delta))}`;
}

/** numerator / denominator in percent, or null when the denominator is 0. */
export function computeRate(numerator: number, denominator: number): number | null {
  if (denominator === 0) return null;
  return (numerator / denominator) * 100;
}
