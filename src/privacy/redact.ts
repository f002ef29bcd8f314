// Personal data never reaches logs or stored conversation text in full.
// Covers 12-digit personal ID numbers (số định danh / CCCD), old 9-digit ID cards, Vietnamese phone
// numbers (with +84/84/0 prefixes, spaces, dots or dashes) and e-mail addresses.

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
// Digits separated only by spaces, dots or dashes count as one number ("0912 345 678", "001.203.004.567").
const DIGIT_RUN = /(?<![\p{L}\p{N}])\+?\d(?:[\s.-]?\d){7,14}(?![\p{L}\p{N}])/gu;

function classify(run: string): string | null {
  const digits = run.replace(/\D/g, "");
  if (digits.length === 12) return "[số định danh]";
  if (/^(?:84|0)(?:3|5|7|8|9)\d{8}$/.test(digits)) return "[số điện thoại]";
  if (/^(?:84|0)2\d{9}$/.test(digits)) return "[số điện thoại]"; // landlines: 02x + 8 digits
  if (/^(?:1800|1900)\d{4,6}$/.test(digits)) return null; // public hotlines are not personal data
  if (digits.length === 9) return "[số CMND]";
  // Other lengths (timestamps, dossier numbers) are not personal identifiers.
  return null;
}

/** Returns the text with ID numbers, phone numbers and e-mail addresses replaced by labels. */
export function redactPII(text: string): string {
  return text
    .replace(EMAIL, "[email]")
    .replace(DIGIT_RUN, (run) => classify(run) ?? run);
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
