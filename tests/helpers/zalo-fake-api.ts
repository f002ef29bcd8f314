// A fake Zalo Bot Platform API on loopback: the real client talks HTTP to it. It records every call,
// answers like the platform (`{ ok, result }`, one update per getUpdates, 408 when a long poll ends
// empty) and can be told to answer errors (429, 5xx, anything) for the next calls of a method.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCall {
  method: string;
  body: Record<string, unknown>;
  /** The token part of the URL (checked against the expected one). */
  token: string;
}

export interface ScriptedAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the connection without answering (a network error for the client). */
  drop?: boolean;
}

const METHODS = new Set([
  "getMe",
  "getUpdates",
  "setWebhook",
  "deleteWebhook",
  "getWebhookInfo",
  "sendMessage",
  "sendPhoto",
  "sendChatAction",
]);

export class FakeZaloApi {
  readonly calls: FakeCall[] = [];
  webhookUrl = "";
  private readonly scripts = new Map<string, ScriptedAnswer[]>();
  private readonly queuedUpdates: unknown[] = [];
  private pollers: Array<(update: unknown) => void> = [];
  private sent = 0;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly token: string,
  ) {}

  static async start(token: string): Promise<FakeZaloApi> {
    let fake: FakeZaloApi | undefined;
    const server = http.createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeZaloApi(server, `http://127.0.0.1:${port}`, token);
    return fake;
  }

  /** The next calls of `method` get these answers, in order; afterwards the normal behaviour resumes. */
  script(method: string, ...answers: ScriptedAnswer[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...answers]);
  }

  /** Delivers an update to the current (or next) getUpdates. */
  pushUpdate(update: unknown): void {
    const poller = this.pollers.shift();
    if (poller) poller(update);
    else this.queuedUpdates.push(update);
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Texts sent with sendMessage (to one chat, or all). */
  texts(chatId?: string): string[] {
    return this.callsOf("sendMessage")
      .filter((c) => chatId === undefined || c.body.chat_id === chatId)
      .map((c) => String(c.body.text));
  }

  get pendingPolls(): number {
    return this.pollers.length;
  }

  /** Resolves once `check` holds (re-checked after every call and every 20 ms), or fails after `timeoutMs`. */
  async waitFor(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        clearInterval(ticker);
        this.listeners.delete(listener);
        if (error) reject(error);
        else resolve();
      };
      const listener = () => {
        if (check()) finish();
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(", ")}`)),
        timeoutMs,
      );
      const ticker = setInterval(listener, 20);
      this.listeners.add(listener);
    });
  }

  reset(): void {
    this.calls.length = 0;
    this.scripts.clear();
    this.queuedUpdates.length = 0;
  }

  async close(): Promise<void> {
    for (const poller of this.pollers) poller(undefined);
    this.pollers = [];
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? "");
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (!match) return send(404, { ok: false, error_code: 404, description: "Not found" });
    const token = decodeURIComponent(match[1]!);
    const method = match[2]!;
    let body: Record<string, unknown> = {};
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return send(400, { ok: false, error_code: 400, description: "Bad request" });
    }
    this.calls.push({ method, body, token });
    for (const listener of [...this.listeners]) listener();

    if (token !== this.token) return send(401, { ok: false, error_code: 401, description: "Unauthorized" });
    const scripted = this.scripts.get(method)?.shift();
    if (scripted) {
      if (scripted.drop) {
        req.socket.destroy();
        return;
      }
      return send(scripted.status ?? 200, scripted.body ?? { ok: true, result: {} }, scripted.headers);
    }
    if (!METHODS.has(method)) return send(404, { ok: false, error_code: 404, description: "Not found" });

    const now = Date.now();
    switch (method) {
      case "getMe":
        return send(200, {
          ok: true,
          result: { id: "1459232241454765289", account_name: "bot.TroLy06", account_type: "BASIC", can_join_groups: false },
        });
      case "setWebhook":
        this.webhookUrl = String(body.url ?? "");
        return send(200, { ok: true, result: { url: this.webhookUrl, updated_at: now } });
      case "deleteWebhook":
        this.webhookUrl = "";
        return send(200, { ok: true, result: { url: "", updated_at: now } });
      case "getWebhookInfo":
        return send(200, { ok: true, result: { url: this.webhookUrl, updated_at: now } });
      case "sendMessage":
      case "sendPhoto":
        return send(200, { ok: true, result: { message_id: `sent-${++this.sent}`, date: now } });
      case "sendChatAction":
        return send(200, { ok: true });
      case "getUpdates": {
        const queued = this.queuedUpdates.shift();
        if (queued !== undefined) return send(200, { ok: true, result: queued });
        const seconds = Math.min(Number(body.timeout ?? 30) || 30, 30);
        const update = await new Promise<unknown>((resolve) => {
          const timer = setTimeout(() => done(undefined), seconds * 1000);
          const done = (value: unknown) => {
            clearTimeout(timer);
            this.pollers = this.pollers.filter((p) => p !== done);
            resolve(value);
          };
          this.pollers.push(done);
          // The client gave up (aborted on stop): forget this poller.
          res.on("close", () => done(undefined));
        });
        if (update === undefined) return send(200, { ok: false, error_code: 408, description: "Request timeout" });
        return send(200, { ok: true, result: update });
      }
    }
  }
}

/** A text update as the platform sends it (the documented wrapped form unless `bare`). */
export function zaloTextUpdate(
  text: string,
  options: { chatId?: string; userId?: string; messageId?: string; bare?: boolean; event?: string } = {},
): Record<string, unknown> {
  const userId = options.userId ?? "6ede9afa66b88fe6d6a9";
  const result = {
    event_name: options.event ?? "message.text.received",
    message: {
      from: { id: userId, display_name: "Ted", is_bot: false },
      chat: { id: options.chatId ?? userId, chat_type: "PRIVATE" },
      text,
      message_id: options.messageId ?? `m-${Math.random().toString(36).slice(2)}`,
      date: Date.now(),
    },
  };
  return options.bare ? result : { ok: true, result };
}
