// A fake Telegram Bot API for the broadcast benchmark: answers sendMessage like Telegram, enforces a rate
// for the bot as a whole (token bucket: `rate` per second, bursts up to one second's worth) with 429 +
// retry_after, answers some 5xx at random and some scripted 429s, and counts accepted messages per chat.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RatedFakeOptions {
  /** Messages per second the bot may send. */
  rate: number;
  /** Share of sendMessage calls answered 502 (nothing delivered). */
  errorRate: number;
  /** Accepted-message counts at which one extra 429 (retry_after 1) is answered. */
  scripted429At: number[];
}

export class RatedFakeTelegram {
  url = "";
  /** Accepted messages per chat id. */
  readonly perChat = new Map<string, number>();
  accepted = 0;
  firstAcceptedAt = 0;
  lastAcceptedAt = 0;
  overLimit429 = 0;
  scripted429 = 0;
  errors5xx = 0;
  private server: http.Server | undefined;
  private tokens: number;
  private refilledAt = performance.now();
  private readonly scripted: number[];
  private messageId = 1;

  constructor(private readonly options: RatedFakeOptions) {
    this.tokens = options.rate;
    this.scripted = [...options.scripted429At].sort((a, b) => a - b);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Forget the counts (between two runs). */
  reset(scripted429At: number[]): void {
    this.perChat.clear();
    this.accepted = this.firstAcceptedAt = this.lastAcceptedAt = 0;
    this.overLimit429 = this.scripted429 = this.errors5xx = 0;
    this.scripted.splice(0, this.scripted.length, ...[...scripted429At].sort((a, b) => a - b));
  }

  private take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.options.rate, this.tokens + ((now - this.refilledAt) * this.options.rate) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const method = /^\/bot[^/]+\/(\w+)$/.exec(req.url ?? "")?.[1];
    if (method !== "sendMessage") return send(200, { ok: true, result: true });
    const params = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { chat_id?: number | string; text?: string };
    const tooMany = (retryAfter: number) =>
      send(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
    if (!this.take()) {
      this.overLimit429++;
      return tooMany(1);
    }
    if (this.scripted.length && this.accepted >= this.scripted[0]!) {
      this.scripted.shift();
      this.scripted429++;
      return tooMany(1);
    }
    if (Math.random() < this.options.errorRate) {
      this.errors5xx++;
      return send(502, { ok: false, error_code: 502, description: "Bad Gateway" });
    }
    const chat = String(params.chat_id);
    this.perChat.set(chat, (this.perChat.get(chat) ?? 0) + 1);
    const now = Date.now();
    this.accepted++;
    this.firstAcceptedAt ||= now;
    this.lastAcceptedAt = now;
    send(200, {
      ok: true,
      result: { message_id: this.messageId++, date: Math.floor(now / 1000), chat: { id: params.chat_id, type: "private" }, text: params.text },
    });
  }
}
