// "What is my address now?": a citizen names their old commune (or district) and asks what it is called
// since 1/7/2025 — «xa sen thuy huyen le thuy quang binh gio la xa nao». The phrases that make a message
// such a question, and the words around a unit's name, are content (content/address.yaml). A message that
// asks but names no unit goes on to the FAQ, whose sap_nhap_don_vi answer explains the change in general.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { cacheDir, cachedBuild } from "../core/content-cache.ts";
import type { Feature } from "../core/feature.ts";
import { contentDir, fill } from "../core/messages.ts";
import type { Registrar } from "../core/router.ts";
import { foldDiacritics } from "../core/text.ts";
import type { Button, Reply, TurnContext } from "../core/types.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { SUBSCRIBE_PAYLOAD, unitLabel } from "./subscription.ts";
import { currentPlaceOf, findFormerDistricts, findUnits, foldUnitName, formerDistrictText, successionNote, type UnitSummary } from "./units.ts";

const lexiconSchema = z.object({ asks: z.array(z.string().min(1)).min(1), fillers: z.array(z.string().min(1)) });

interface AddressLexicon {
  asks: string[];
  fillers: string[];
}

const fold = (s: string) => foldDiacritics(s.normalize("NFC")).replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim();

const addressFile = path.join(contentDir, "address.yaml");

export function loadAddressLexicon(file = addressFile): AddressLexicon {
  const parsed = lexiconSchema.safeParse(parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  // Longest first, so "giờ thuộc xã nào" is removed before "giờ".
  const sorted = (list: string[]) => [...new Set(list.map(fold))].sort((a, b) => b.length - a.length);
  return { asks: sorted(parsed.data.asks), fillers: sorted(parsed.data.fillers) };
}

const has = (text: string, phrase: string) => ` ${text} `.includes(` ${phrase} `);
const without = (text: string, phrase: string) => ` ${text} `.split(` ${phrase} `).join(" ").replace(/\s+/g, " ").trim();

const COMMUNE_WORDS = ["xa", "phuong", "thi tran", "dac khu"];
const DISTRICT_WORDS = ["huyen", "quan", "thi xa", "thanh pho", "tp"];
const PROVINCE_WORDS = ["tinh"];
const LEVEL = new RegExp(`(?:^| )(${[...COMMUNE_WORDS, ...DISTRICT_WORDS, ...PROVINCE_WORDS].join("|")}) `, "g");

const LEVEL_START = new RegExp(`^(${[...COMMUNE_WORDS, ...DISTRICT_WORDS, ...PROVINCE_WORDS].join("|")}) `);

/** "xa sen thuy huyen le thuy quang binh" → [{word:"xa", words:"sen thuy"}, {word:"huyen", words:"le thuy quang binh"}]. */
function segments(text: string): Array<{ word: string; words: string }> {
  const starts = [...` ${text}`.matchAll(LEVEL)].map((m) => ({ word: m[1]!, at: m.index! }));
  return starts.map((s, i) => ({
    word: s.word,
    words: ` ${text}`.slice(s.at + 1 + s.word.length, starts[i + 1]?.at ?? undefined).trim(),
  }));
}

/** What the question is about, once the asking words are gone. */
export interface AddressQuery {
  /** The unit as typed, e.g. "xa sen thuy"; absent when only a district was named. */
  unit?: string;
  /** Other words naming where it was ("le thuy quang binh"). */
  context: string[];
  /** An old district named without a commune ("huyen le thuy"). */
  district?: string;
}

/** The question's unit and place words, or null when the message does not ask for a new address. */
export function readAddressQuestion(lexicon: AddressLexicon, text: string): AddressQuery | null {
  let rest = fold(text);
  if (!lexicon.asks.some((a) => has(rest, a))) return null;
  for (const a of lexicon.asks) rest = without(rest, a);
  for (const f of lexicon.fillers) rest = without(rest, f);
  if (!rest) return null;
  const parts = segments(rest);
  const commune = parts.find((p) => COMMUNE_WORDS.includes(p.word) && p.words);
  const others = (except?: { word: string; words: string }) =>
    parts.filter((p) => p !== except).flatMap((p) => p.words.split(" ")).filter(Boolean);
  if (commune) return { unit: `${commune.word} ${commune.words}`, context: others(commune) };
  const district = parts.find((p) => DISTRICT_WORDS.includes(p.word) && p.words);
  if (district) return { district: `${district.word} ${district.words}`, context: [] };
  // No level word: the whole rest, and the look-up tries its leading words.
  return { unit: rest, context: [] };
}

async function communesFor(prisma: PrismaClient, query: string) {
  return (await findUnits(prisma, query)).filter((u) => u.level === "COMMUNE");
}

/** Finds the unit: the words as typed, else their longest leading part that names a commune. */
async function lookUp(prisma: PrismaClient, q: AddressQuery): Promise<{ units: UnitSummary[]; context: string[] }> {
  const units = await communesFor(prisma, q.unit!);
  // Typed with a level word ("xã …") or with place words: that was the name. Else try its leading words
  // (names have two syllables or more: "sen thuy le thuy" → "sen thuy" in "le thuy").
  if (units.length || q.context.length || LEVEL_START.test(q.unit!)) return { units, context: q.context };
  const words = q.unit!.split(" ");
  for (let n = Math.min(words.length - 1, 4); n >= 2; n--) {
    const found = await communesFor(prisma, words.slice(0, n).join(" "));
    if (found.length) return { units: found, context: words.slice(n) };
  }
  return { units: [], context: [] };
}

/** Keeps the units whose old place (or current province) has every place word typed. */
async function narrow(prisma: PrismaClient, units: UnitSummary[], context: string[]): Promise<UnitSummary[]> {
  const words = context.filter((w) => !["huyen", "quan", "tinh", "thi", "xa", "tp", "thanh", "pho"].includes(w));
  if (!words.length || units.length < 2) return units;
  const places = await currentPlaceOf(prisma, units);
  const kept = units.filter((u) => {
    const place = ` ${foldUnitName(`${u.formerly?.where ?? ""} ${places.get(u.code) ?? ""}`)} `;
    return words.every((w) => place.includes(` ${w} `));
  });
  return kept.length ? kept : units;
}

const provinceOf = (place: string | undefined) => place?.split(", ").at(-1) ?? "";

async function districtReply(ctx: TurnContext, query: string): Promise<Reply[] | null> {
  const m = ctx.services.messages;
  const districts = await findFormerDistricts(ctx.services.prisma, query);
  if (!districts.length) return null;
  const lines: string[] = [];
  const buttons: Button[][] = [];
  for (const d of districts) {
    if (!d.communes.length) continue;
    lines.push(await formerDistrictText(ctx.services.prisma, m.districtGone, d));
    if (districts.length === 1) for (const c of d.communes.slice(0, 8)) buttons.push([{ label: `Nhận thông báo của ${unitLabel(c)}`, payload: `${SUBSCRIBE_PAYLOAD}:${c.code}` }]);
  }
  return [{ text: lines.length ? lines.join("\n") : m.districtGoneNoCommunes, ...(buttons.length ? { buttons } : {}) }];
}

/** The answer to a bare old district name ("huyện Lệ Thủy"), or null when the text names none. */
export async function formerDistrictReply(ctx: TurnContext, text: string): Promise<Reply[] | null> {
  return districtReply(ctx, text);
}

/** The answer, or null when the words name no unit and no level word was typed (the FAQ's turn). */
export async function answerAddress(ctx: TurnContext, q: AddressQuery): Promise<Reply[] | null> {
  const m = ctx.services.messages;
  const { prisma } = ctx.services;
  if (q.district) return districtReply(ctx, q.district);
  const found = await lookUp(prisma, q);
  if (!found.units.length) {
    const district = await districtReply(ctx, q.unit!);
    if (district) return district;
    return LEVEL_START.test(q.unit!) ? [{ text: fill(m.addressNotFound, { query: q.unit!.slice(0, 60) }) }] : null;
  }
  const units = await narrow(prisma, found.units, found.context);
  const places = await currentPlaceOf(prisma, units);
  const note = await successionNote(prisma, units);
  const current = units.filter((u) => !u.formerly);
  const lines = note ? [note] : [];
  for (const u of current) lines.push(fill(m.addressCurrent, { unit: u.name, province: provinceOf(places.get(u.code)) }));
  const buttons: Button[][] = units.slice(0, 8).map((u) => [{ label: `Nhận thông báo của ${unitLabel(u)}`, payload: `${SUBSCRIBE_PAYLOAD}:${u.code}` }]);
  if (units.length === 1) {
    const u = units[0]!;
    if (u.formerly) lines.push(fill(m.addressNow, { unit: u.name, province: provinceOf(places.get(u.code)), name: u.name.replace(/^(Xã|Phường|Đặc khu)\s+/, "") }));
    return [{ text: lines.join("\n"), buttons }];
  }
  return [{ text: [...lines, m.addressChoose].join("\n"), buttons }];
}

// Counted as the FAQ topic it refines (the reorganisation of 2025), answered for sure.
const ADDRESS_OUTCOME = { intentId: "sap_nhap_don_vi", confidence: 1, fallback: false, suggestions: [] };

export function registerAddress(router: Registrar, lexicon = loadAddressLexicon()): void {
  router.intercept({
    name: "address-lookup",
    async run(ctx) {
      if (!ctx.text || ctx.message.payload || ctx.text.startsWith("/")) return null;
      const q = readAddressQuestion(lexicon, ctx.text);
      if (!q) {
        // A message that is nothing but an old district's name.
        const folded = fold(ctx.text);
        if (!/^(huyen|quan|thi xa) \S/.test(folded) || folded.split(" ").length > 7) return null;
        const reply = await districtReply(ctx, folded);
        if (reply) ctx.outcome = ADDRESS_OUTCOME;
        return reply;
      }
      const replies = await answerAddress(ctx, q);
      if (replies) ctx.outcome = ADDRESS_OUTCOME;
      return replies;
    },
  });
}

export const addressFeature: Feature = {
  name: "address",
  register(router, { services }) {
    registerAddress(router, cachedBuild(cacheDir(services.config), { name: "address", inputs: [addressFile] }, () => loadAddressLexicon()));
  },
};
