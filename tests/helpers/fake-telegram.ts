// A fake Telegram Bot API server on loopback: records every call, answers like Telegram, serves queued
// updates to getUpdates (long polling), and can be told to fail the next calls of a method with a 429
// (retry_after), a 5xx or a 403 — so the real grammY client is tested over real HTTP.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCall {
  method: string;
  token: string;
  params: Record<string, unknown>;
  /** Bytes of uploaded files (multipart), by field name. */
  files: Record<string, number>;
  at: number;
  /** HTTP status the fake answered with. */
  status: number;
}

export interface ScriptedFailure {
  status: number;
  body: Record<string, unknown>;
}

export const failures = {
  tooManyRequests: (retryAfter: number): ScriptedFailure => ({
    status: 429,
    body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
  }),
  badGateway: (): ScriptedFailure => ({ status: 502, body: { ok: false, error_code: 502, description: "Bad Gateway" } }),
  blocked: (): ScriptedFailure => ({ status: 403, body: { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" } }),
  chatNotFound: (): ScriptedFailure => ({ status: 400, body: { ok: false, error_code: 400, description: "Bad Request: chat not found" } }),
  deactivated: (): ScriptedFailure => ({ status: 403, body: { ok: false, error_code: 403, description: "Forbidden: user is deactivated" } }),
  badRequest: (what: string): ScriptedFailure => ({ status: 400, body: { ok: false, error_code: 400, description: `Bad Request: ${what}` } }),
};

export const FAKE_BOT = {
  id: 7000000001,
  is_bot: true,
  first_name: "Trợ lý 06",
  username: "troly06_test_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as const;

/** Parses multipart/form-data: text fields into params, file fields counted in bytes. */
function parseMultipart(body: Buffer, contentType: string): { params: Record<string, unknown>; files: Record<string, number> } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const params: Record<string, unknown> = {};
  const files: Record<string, number> = {};
  if (!boundary) return { params, files };
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // skip CRLF after delimiter, before next
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const content = part.subarray(headerEnd + 4);
      const name = /name="([^"]+)"/.exec(headers)?.[1];
      if (name) {
        if (/filename=/.test(headers)) files[name] = content.length;
        else {
          const text = content.toString("utf8");
          try {
            params[name] = JSON.parse(text);
          } catch {
            params[name] = text;
          }
        }
      }
    }
    start = next;
  }
  return { params, files };
}

export class FakeTelegram {
  readonly calls: FakeCall[] = [];
  url = "";
  private server: http.Server | undefined;
  private readonly scripted = new Map<string, ScriptedFailure[]>();
  private readonly updates: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  private nextMessageId = 1000;
  private nextUpdateId = 500_000;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const wake of this.waiters) wake();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` calls of `method` fail with `failure`. */
  failNext(method: string, failure: ScriptedFailure, times = 1): void {
    const list = this.scripted.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.scripted.set(method, list);
  }

  /** Queues an update for getUpdates; gives it the next update_id unless it has one. */
  pushUpdate(update: Record<string, unknown>): number {
    const full = { update_id: this.nextUpdateId++, ...update };
    this.updates.push(full);
    for (const wake of this.waiters.splice(0)) wake();
    return full.update_id as number;
  }

  /** Successful calls of a method, in order. */
  ok(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  /** Text of every successfully sent message. */
  texts(): string[] {
    return this.ok("sendMessage").map((c) => String(c.params.text));
  }

  reset(): void {
    this.calls.length = 0;
    this.scripted.clear();
  }

  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error("timed out waiting in the fake Telegram server");
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? "");
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    if (!match) return send(404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, method] = match as unknown as [string, string, string];
    const contentType = req.headers["content-type"] ?? "";
    let params: Record<string, unknown> = {};
    let files: Record<string, number> = {};
    if (contentType.startsWith("multipart/form-data")) ({ params, files } = parseMultipart(body, contentType));
    else if (body.length) params = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    const call: FakeCall = { method, token, params, files, at: Date.now(), status: 200 };
    this.calls.push(call);

    const failure = this.scripted.get(method)?.shift();
    if (failure) {
      call.status = failure.status;
      return send(failure.status, failure.body);
    }
    if (method === "getUpdates") return this.getUpdates(params, send, req);
    send(200, { ok: true, result: this.result(method, params) });
  }

  private async getUpdates(
    params: Record<string, unknown>,
    send: (status: number, payload: unknown) => void,
    req: http.IncomingMessage,
  ): Promise<void> {
    const offset = typeof params.offset === "number" ? params.offset : 0;
    const limit = typeof params.limit === "number" ? params.limit : 100;
    const pending = () => this.updates.filter((u) => (u.update_id as number) >= offset).slice(0, limit);
    if (pending().length === 0) {
      // Long poll, but short: at most one second, or until an update arrives or the client goes away.
      const waitMs = Math.min(1000, (typeof params.timeout === "number" ? params.timeout : 0) * 1000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.push(wake);
        req.socket.once("close", wake);
      });
    }
    if (req.socket.destroyed) return;
    send(200, { ok: true, result: pending() });
  }

  private result(method: string, params: Record<string, unknown>): unknown {
    const chatId = params.chat_id;
    const message = (extra: Record<string, unknown>) => ({
      message_id: this.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: typeof chatId === "number" && chatId < 0 ? "group" : "private" },
      from: { id: FAKE_BOT.id, is_bot: true, first_name: FAKE_BOT.first_name, username: FAKE_BOT.username },
      ...extra,
    });
    switch (method) {
      case "getMe":
        return FAKE_BOT;
      case "sendMessage":
        return message({ text: params.text });
      case "sendPhoto":
        return message({ photo: [{ file_id: "photo", file_unique_id: "photo", width: 100, height: 100 }], caption: params.caption });
      default:
        return true; // answerCallbackQuery, setMyCommands, deleteMyCommands, setWebhook, deleteWebhook…
    }
  }
}

let nextId = 1;
/** A private-chat text message update from a citizen. */
export function textUpdate(text: string, user = 111, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message: {
      message_id: nextId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: user, type: "private", first_name: "Dân" },
      from: { id: user, is_bot: false, first_name: "Dân", last_name: `Số ${user}` },
      text,
      ...(text.startsWith("/") ? { entities: [{ type: "bot_command", offset: 0, length: text.split(/\s/)[0]!.length }] } : {}),
      ...extra,
    },
  };
}

/** A text message in a group chat. */
export function groupUpdate(text: string, user: number, groupId: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const update = textUpdate(text, user, extra) as { message: Record<string, unknown> };
  update.message.chat = { id: groupId, type: "supergroup", title: "Cán bộ xã" };
  return update;
}

/** A button press on a message the bot sent. */
export function callbackUpdate(data: string, user = 111, messageId = 1): Record<string, unknown> {
  return {
    callback_query: {
      id: `cb${nextId++}`,
      from: { id: user, is_bot: false, first_name: "Dân" },
      chat_instance: "ci",
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: user, type: "private", first_name: "Dân" },
        from: { id: FAKE_BOT.id, is_bot: true, first_name: FAKE_BOT.first_name, username: FAKE_BOT.username },
        text: "…",
      },
    },
  };
}

/** The user blocked ("kicked") or unblocked ("member") the bot in their private chat. */
export function memberUpdate(status: "kicked" | "member", user = 111): Record<string, unknown> {
  const bot = { id: FAKE_BOT.id, is_bot: true, first_name: FAKE_BOT.first_name, username: FAKE_BOT.username };
  return {
    my_chat_member: {
      chat: { id: user, type: "private", first_name: "Dân" },
      from: { id: user, is_bot: false, first_name: "Dân" },
      date: Math.floor(Date.now() / 1000),
      old_chat_member: status === "kicked" ? { status: "member", user: bot } : { status: "kicked", user: bot, until_date: 0 },
      new_chat_member: status === "kicked" ? { status: "kicked", user: bot, until_date: 0 } : { status: "member", user: bot },
    },
  };
}
