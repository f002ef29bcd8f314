// A chat platform double that lives across processes: a tiny HTTP server on loopback that records every
// message it is sent (and can hold its answers, like a slow platform), and a ChannelAdapter that sends
// to it over HTTP. FakeChannel cannot be shared by a child process; this can.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ChannelAdapter, SentMessage } from "../../src/channels/types.ts";
import type { ChannelName, Reply } from "../../src/core/types.ts";

export interface ReceivedMessage {
  chatId: string;
  text: string;
  at: number;
}

export class FakeChatServer {
  readonly received: ReceivedMessage[] = [];
  url = "";
  /** Answers are held this long (the message counts as received on arrival). */
  holdMs = 0;
  private server: http.Server | undefined;
  private counter = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { chatId: string; text: string };
          this.received.push({ chatId: String(body.chatId), text: String(body.text), at: Date.now() });
        } catch {
          res.writeHead(400).end();
          return;
        }
        const answer = () => {
          if (res.destroyed) return;
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ ok: true, messageId: ++this.counter }));
        };
        if (this.holdMs > 0) setTimeout(answer, this.holdMs);
        else answer();
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  countOf(text: string): number {
    return this.received.filter((r) => r.text === text).length;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Sends each message as POST {chatId, text} to a FakeChatServer. */
export class HttpChannelAdapter implements ChannelAdapter {
  constructor(
    private readonly url: string,
    readonly name: ChannelName = "telegram",
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(chatId: string, replies: Reply[]): Promise<SentMessage> {
    let messageRef: string | undefined;
    for (const reply of replies) {
      const response = await fetch(`${this.url}/send`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chatId, text: reply.text }),
      });
      if (!response.ok) throw new Error(`fake chat answered ${response.status}`);
      messageRef = String(((await response.json()) as { messageId: number }).messageId);
    }
    return { messageRef };
  }
}
