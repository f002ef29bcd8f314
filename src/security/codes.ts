// One-time codes (invites, identity links): random, shown once, stored only as a hash.
import { createHash, randomInt } from "node:crypto";

// Crockford's base32 without I, L, O, U: nothing to confuse when read aloud or copied by hand.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** 10 symbols × 5 bits = 50 bits of randomness, shown as "ABCDE-12345". */
export function generateCode(symbols = 10): string {
  let code = "";
  for (let i = 0; i < symbols; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What people type varies ("abcde 12345", "ABCDE12345", o for 0…): compare the canonical form. */
export function canonicalCode(input: string): string {
  return input
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
}

export function hashCode(input: string): string {
  return createHash("sha256").update(canonicalCode(input)).digest("hex");
}
