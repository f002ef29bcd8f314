// Personal data never reaches logs or stored text in full. The one redactor of the project.
// Covers 12-digit personal ID numbers (số định danh / CCCD), old 9-digit ID cards (CMND), Vietnamese phone
// numbers and e-mail addresses, typed the way people really type them:
// - next to letters ("cccd001203004567", "0912345678và", "SĐT:0912345678");
// - in groups split by spaces, dots or dashes ("0912 345 678", "091.234.5678", "001-203-004-567");
// - in full-width digits ("０９１２３４５６７８"), with +84, 84 or (+84) in front;
// - followed by another number ("052301009876 2 bản": the ID is hidden, the "2" kept).
// Kept: dates, times, amounts of money ("70.000 đồng", "120.000.000 đ"), public hotlines (1800/1900…),
// unit codes (5 digits, also in lists), timestamps and other long codes that are no ID or phone number.

// Starts only where a run of address characters starts: without the lookbehind a long word costs O(n²).
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

/** Full-width digits, plus, dot, dash and space → ASCII, one UTF-16 unit for one, so positions stay. */
function foldWidth(text: string): string {
  return text.replace(/[\uFF10-\uFF19\uFF0B\uFF0D\uFF0E\u3000]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0xff10 && code <= 0xff19) return String.fromCharCode(code - 0xff10 + 0x30);
    return { "\uFF0B": "+", "\uFF0D": "-", "\uFF0E": ".", "\u3000": " " }[c] ?? c;
  });
}

// Between the digit groups of one number: 1–3 of space, dot, dash, en dash, no-break or zero-width spaces.
const SEP = "[ \\t.\\-\\u2013\\u00a0\\u202f\\u200b-\\u200d\\u2060\\ufeff]{1,3}";
// A run of digit groups, maybe with "+", "+84" or "(+84)" in front.
const RUN = new RegExp(`(?:\\(\\s?\\+?\\s?84\\s?\\)\\s?|\\+\\s?)?\\d+(?:${SEP}\\d+)*`, "g");
const GROUP = /\d+/g;
const LETTER = /[\p{L}]/u;
const MONEY_AFTER = /^\s?(?:đ|đồng|dong|d\b|vnd|vnđ|₫|triệu|trieu|tr\b|nghìn|nghin|ngàn|ngan|k\b|tỷ|ty\b)/iu;

type Label = "[số định danh]" | "[số điện thoại]" | "[số CMND]";

function classify(digits: string): Label | null {
  if (/^(?:1800|1900)\d{4,6}$/.test(digits)) return null; // public hotlines are not personal data
  if (digits.length === 12) return "[số định danh]";
  if (/^(?:84|0)[35789]\d{8}$/.test(digits)) return "[số điện thoại]";
  if (/^(?:84|0)2\d{9}$/.test(digits)) return "[số điện thoại]"; // landlines: 02x + 8 digits
  if (digits.length === 9) return "[số CMND]";
  return null; // other lengths (timestamps, dossier numbers, amounts) are not personal identifiers
}

interface Group {
  start: number;
  end: number;
  digits: string;
}

/** May groups i..j (several of them) be one number as people write one? */
function plausibleSplit(groups: Group[], i: number, j: number, afterLetter: boolean): boolean {
  // "H04-240315-0001": a code glued to letters is not a spaced-out number.
  if (i === 0 && afterLetter) return false;
  const first = groups[i]!.digits;
  if (first.length < 3 && !(first === "84" || first.startsWith("0"))) return false;
  for (let k = i + 1; k <= j; k++) if (groups[k]!.digits.length < 2) return false;
  // Lists of unit codes ("09877 09878") are not phone numbers.
  if (groups.slice(i, j + 1).every((g) => g.digits.length === 5)) return false;
  return true;
}

/** "120.000.000 đồng": an amount of money, written with thousands separators. */
function isMoney(text: string, run: string, end: number): boolean {
  if (!/^\d{1,3}(?:[.,]\d{3})+$/.test(run)) return false;
  return MONEY_AFTER.test(text.slice(end, end + 8));
}

/** Returns the text with ID numbers, phone numbers and e-mail addresses replaced by labels. */
export function redactPII(text: string): string {
  const withoutEmail = text.includes("@") ? text.replace(EMAIL, "[email]") : text;
  const folded = foldWidth(withoutEmail);
  const cuts: Array<{ start: number; end: number; label: Label }> = [];
  for (const run of folded.matchAll(RUN)) {
    const base = run.index;
    const groups: Group[] = [];
    for (const g of run[0].matchAll(GROUP)) groups.push({ start: base + g.index, end: base + g.index + g[0].length, digits: g[0] });
    // "+84" / "(+84)" belongs to the number: it starts where the run does.
    const runStart = base;
    const afterLetter = base > 0 && LETTER.test(folded[base - 1]!);
    let i = 0;
    while (i < groups.length) {
      let best: { j: number; label: Label } | undefined;
      let digits = "";
      for (let j = i; j < groups.length; j++) {
        digits += groups[j]!.digits;
        if (digits.length > 13) break;
        if (j > i && !plausibleSplit(groups, i, j, afterLetter)) continue;
        const label = classify(digits);
        if (!label) continue;
        // Prefer the longest number; a phone or ID over a 9-digit CMND that is only its beginning.
        if (!best || label !== "[số CMND]" || best.label === "[số CMND]") best = { j, label };
      }
      if (best) {
        const start = i === 0 ? runStart : groups[i]!.start;
        const end = groups[best.j]!.end;
        if (!(best.label === "[số CMND]" && isMoney(folded, folded.slice(groups[i]!.start, end), end))) {
          cuts.push({ start, end, label: best.label });
          i = best.j + 1;
          continue;
        }
      }
      i++;
    }
  }
  if (cuts.length === 0) return withoutEmail;
  let out = "";
  let at = 0;
  for (const cut of cuts) {
    out += withoutEmail.slice(at, cut.start) + cut.label;
    at = cut.end;
  }
  return out + withoutEmail.slice(at);
}

/** True when the text holds something redactPII would hide. */
export function containsPII(text: string): boolean {
  return redactPII(text) !== text;
}

/** Masks an identifier for logs: keeps the last 3 characters ("…678"). */
export function maskId(id: string | number): string {
  const s = String(id);
  return s.length <= 3 ? "…" : `…${s.slice(-3)}`;
}
