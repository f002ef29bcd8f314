// What a web session has seen: its last messages, in Redis, so that a page load shows the conversation
// again and an officer's reply (sent outside a turn, through the outbox) waits for the page to fetch it.
// Every entry has an increasing id per session; the page asks for the entries after the last id it has.
// Texts are redacted before they are stored (no full ID or phone number in Redis), and keys expire after
// the conversation retention period.
//
// Several instances: the page's event stream may be open on another instance than the one that stores an
// entry (an officer's answer sent by any instance's outbox worker). Every append publishes the session on
// one Redis channel; each instance that listens re-emits it locally, so its open streams read the new
// entries at once. The streams' slow poll stays as a fallback for a lost message.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Reply } from "../../core/ports.ts";
import { redactPII } from "../../privacy/redact.ts";

/** Charts are a few tens of kB; anything larger is shown as its caption only. */
const MAX_IMAGE_BYTES = 400_000;

export const webReplySchema = z.object({
  text: z.string(),
  buttons: z.array(z.array(z.object({ label: z.string(), payload: z.string() }))).optional(),
  image: z.object({ src: z.string(), alt: z.string() }).optional(),
});
export type WebReply = z.infer<typeof webReplySchema>;

export const entrySchema = z.object({
  id: z.number().int().positive(),
  at: z.number(),
  from: z.enum(["user", "bot"]),
  /** The user's message as stored (redacted). */
  text: z.string().optional(),
  replies: z.array(webReplySchema).optional(),
  /** Sent outside a turn (an officer's answer, an announcement). */
  push: z.boolean().optional(),
});
export type Entry = z.infer<typeof entrySchema>;

/** A core reply as the page renders it: buttons as buttons, a PNG as a data URL. */
export function toWebReply(reply: Reply, redact: boolean): WebReply {
  const text = redact ? redactPII(reply.text) : reply.text;
  const out: WebReply = { text };
  if (reply.buttons?.length) out.buttons = reply.buttons.map((row) => row.map((b) => ({ label: b.label, payload: b.payload })));
  if (reply.image) {
    const caption = reply.image.caption?.trim() ?? "";
    if (reply.image.png.length <= MAX_IMAGE_BYTES) {
      out.image = { src: `data:image/png;base64,${reply.image.png.toString("base64")}`, alt: caption || "Biểu đồ" };
    } else if (caption && caption !== reply.text.trim()) {
      out.text = [text, caption].filter(Boolean).join("\n\n");
    }
  }
  return out;
}

export interface TranscriptOptions {
  keyPrefix: string;
  /** Entries kept per session. */
  maxEntries: number;
  ttlSec: number;
}

/**
 * KEYS: the list, the counter. ARGV: max entries, TTL, notice channel, notice, then the entries as JSON
 * objects without their id (which the script puts first). Returns the first entry's id.
 */
const APPEND_SCRIPT = `
local n = #ARGV - 4
local first = redis.call('INCRBY', KEYS[2], n) - n + 1
for i = 1, n do
  redis.call('RPUSH', KEYS[1], '{"id":' .. (first + i - 1) .. ',' .. string.sub(ARGV[4 + i], 2))
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return first
`;

interface AppendCommand {
  troly06WebAppend(list: string, seq: string, max: string, ttl: string, channel: string, notice: string, ...entries: string[]): Promise<number>;
}

const noticeSchema = z.object({ o: z.string(), s: z.string().max(64) });

export class Transcript {
  /**
   * "entry:<sid>" fires after entries are stored by this process (with them, as an argument), or by
   * another one while listen() runs (without: read them).
   */
  readonly events = new EventEmitter();
  /** This process's own notices come back from Redis too; they are already emitted locally. */
  private readonly origin = randomUUID();
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly options: TranscriptOptions,
  ) {
    this.events.setMaxListeners(0);
    // Sent by its SHA once loaded (ioredis falls back to the source when Redis lost it).
    if (!(redis as unknown as Partial<AppendCommand>).troly06WebAppend) redis.defineCommand("troly06WebAppend", { numberOfKeys: 2, lua: APPEND_SCRIPT });
  }

  private get noticeChannel(): string {
    return `${this.options.keyPrefix}:entries`;
  }

  /** Hears entries stored by other instances (a separate Redis connection, as subscribing needs). */
  async listen(onError: (error: Error) => void = () => undefined): Promise<void> {
    if (this.subscriber) return;
    // Queued until connected; ioredis subscribes again by itself after a reconnection.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
    this.subscriber = subscriber;
    subscriber.on("error", onError);
    subscriber.on("message", (_channel: string, message: string) => {
      try {
        const notice = noticeSchema.safeParse(JSON.parse(message));
        if (notice.success && notice.data.o !== this.origin) this.events.emit(`entry:${notice.data.s}`);
      } catch {
        // not ours; ignored
      }
    });
    await subscriber.subscribe(this.noticeChannel);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  private keys(sid: string) {
    return { list: `${this.options.keyPrefix}:log:${sid}`, seq: `${this.options.keyPrefix}:seq:${sid}` };
  }

  async append(sid: string, entry: Omit<Entry, "id" | "at"> & { at?: number }): Promise<Entry> {
    return (await this.appendAll(sid, [entry]))[0]!;
  }

  /**
   * Stores entries in one round trip (a script: numbering, push, trim, expiry, notice), since a web turn
   * stores two and the socket writes were a good part of a turn's cost. The numbers are given by Redis, so
   * instances never hand out the same id.
   */
  async appendAll(sid: string, entries: Array<Omit<Entry, "id" | "at"> & { at?: number }>): Promise<Entry[]> {
    if (!entries.length) return [];
    const { list, seq } = this.keys(sid);
    const now = Date.now();
    const bodies = entries.map((e) => ({ ...e, at: e.at ?? now, ...(e.text !== undefined ? { text: redactPII(e.text) } : {}) }));
    const first = Number(
      await (this.redis as unknown as AppendCommand).troly06WebAppend(
        list,
        seq,
        String(this.options.maxEntries),
        String(this.options.ttlSec),
        this.noticeChannel,
        JSON.stringify({ o: this.origin, s: sid }),
        ...bodies.map((b) => JSON.stringify(b)),
      ),
    );
    const stored: Entry[] = bodies.map((b, i) => ({ id: first + i, ...b }));
    this.events.emit(`entry:${sid}`, stored);
    return stored;
  }

  /** Entries with an id above `after`, oldest first. */
  async after(sid: string, after = 0): Promise<Entry[]> {
    const raw = await this.redis.lrange(this.keys(sid).list, 0, -1);
    const entries: Entry[] = [];
    for (const line of raw) {
      try {
        const parsed = entrySchema.safeParse(JSON.parse(line));
        if (parsed.success && parsed.data.id > after) entries.push(parsed.data);
      } catch {
        // a damaged line is skipped, not fatal
      }
    }
    return entries;
  }

  /** The id of the newest entry (0 when there is none). */
  async lastId(sid: string): Promise<number> {
    return Number((await this.redis.get(this.keys(sid).seq)) ?? 0);
  }

  async forget(sid: string): Promise<void> {
    const { list, seq } = this.keys(sid);
    await this.redis.del(list, seq);
  }
}
