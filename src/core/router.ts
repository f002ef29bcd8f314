// Routes a turn: interceptors (dialogues waiting for input), then button payloads — pressed, or typed as
// a choice ("2", "tiếp") among the buttons the last reply offered — then slash commands, then free text.
import { type ConversationLexicon, offeredChoices, pickTypedChoice } from "./conversation.ts";
import { fill } from "./messages.ts";
import type { Reply, TurnContext } from "./types.ts";

export interface Command {
  /** Without the slash, lower case. */
  name: string;
  aliases?: string[];
  /** One line, shown in /help and in the platforms' command menus. */
  description: string;
  /** Who sees it listed (not access control: commands check the policy themselves). */
  listedFor: "everyone" | "staff";
  run(ctx: TurnContext, args: string): Promise<Reply[]>;
}

/** Handles button payloads that start with `${prefix}:`. */
export interface PayloadHandler {
  prefix: string;
  run(ctx: TurnContext, value: string): Promise<Reply[]>;
}

export type TextHandler = (ctx: TurnContext) => Promise<Reply[]>;

/**
 * Looks at a message before commands and free text: a dialogue waiting for an answer (a guided
 * /thongbao, a handoff question) or an officer replying to a forwarded message. Returns null when the
 * message is not its business.
 */
export interface Interceptor {
  name: string;
  run(ctx: TurnContext): Promise<Reply[] | null>;
}

/** What a feature registers with (a Router, or one that records the feature as owner: forFeature). */
export interface Registrar {
  command(command: Command): Registrar;
  payload(handler: PayloadHandler): Registrar;
  intercept(interceptor: Interceptor): Registrar;
  onText(handler: TextHandler): Registrar;
  route(ctx: TurnContext): Promise<Reply[]>;
}

export interface ParsedCommand {
  name: string;
  args: string;
}

/** "/TienDo@tro_ly_06_bot  Quảng Ninh" → { name: "tiendo", args: "Quảng Ninh" } */
export function parseCommand(text: string): ParsedCommand | null {
  const match = /^\/([\p{L}\p{N}_]{1,32})(?:@[\w]+)?(?:\s+([\s\S]*))?$/u.exec(text.trim());
  if (!match) return null;
  return { name: match[1]!.toLowerCase(), args: (match[2] ?? "").trim() };
}

/** What one feature registered (router.registrations()). */
export interface Registrations {
  commands: string[];
  payloads: string[];
  interceptors: string[];
}

export class Router {
  private readonly commands = new Map<string, Command>();
  private readonly payloads = new Map<string, PayloadHandler>();
  private readonly interceptors: Interceptor[] = [];
  /** "/name" or "prefix:" → the feature that registered it ("" when registered directly). */
  private readonly owners = new Map<string, string>();
  private readonly byFeature = new Map<string, Registrations>();
  private textHandler: TextHandler;
  private choices: ConversationLexicon | undefined;

  constructor(fallback: TextHandler) {
    this.textHandler = fallback;
  }

  private claim(key: string, what: string, owner: string): void {
    const earlier = this.owners.get(key);
    if (earlier !== undefined) {
      const by = earlier || owner ? `: by ${earlier || "the app"} and ${owner || "the app"}` : "";
      throw new Error(`${what} registered twice${by}`);
    }
    this.owners.set(key, owner);
  }

  private record(owner: string): Registrations {
    let r = this.byFeature.get(owner);
    if (!r) this.byFeature.set(owner, (r = { commands: [], payloads: [], interceptors: [] }));
    return r;
  }

  command(command: Command, owner = ""): this {
    for (const name of [command.name, ...(command.aliases ?? [])]) {
      this.claim(`/${name}`, `command /${name}`, owner);
      this.commands.set(name, command);
    }
    this.record(owner).commands.push(command.name);
    return this;
  }

  payload(handler: PayloadHandler, owner = ""): this {
    this.claim(`${handler.prefix}:`, `payload prefix ${handler.prefix}`, owner);
    this.payloads.set(handler.prefix, handler);
    this.record(owner).payloads.push(handler.prefix);
    return this;
  }

  /** Runs before commands and free text, in registration order; a slash command typed mid-dialogue is
   * still offered to interceptors, which should let it through (return null) unless it is theirs. */
  intercept(interceptor: Interceptor, owner = ""): this {
    this.interceptors.push(interceptor);
    this.record(owner).interceptors.push(interceptor.name);
    return this;
  }

  /** A registrar that records `feature` as the owner of what is registered through it. */
  forFeature(feature: string): Registrar {
    const registrar: Registrar = {
      command: (command) => (this.command(command, feature), registrar),
      payload: (handler) => (this.payload(handler, feature), registrar),
      intercept: (interceptor) => (this.intercept(interceptor, feature), registrar),
      onText: (handler) => (this.onText(handler), registrar),
      route: (ctx) => this.route(ctx),
    };
    return registrar;
  }

  /** What each feature registered, by feature name ("" for what was registered directly). */
  registrations(): ReadonlyMap<string, Registrations> {
    return this.byFeature;
  }

  /** Free text goes here (the FAQ matcher once it is plugged in). */
  onText(handler: TextHandler): this {
    this.textHandler = handler;
    return this;
  }

  /** Lets a typed "2", "tiếp", "quay lại"… choose among the buttons of the last reply, on every channel. */
  typedChoices(lexicon: ConversationLexicon): this {
    this.choices = lexicon;
    return this;
  }

  listCommands(): Command[] {
    return [...new Set(this.commands.values())];
  }

  async route(ctx: TurnContext): Promise<Reply[]> {
    for (const interceptor of this.interceptors) {
      const replies = await interceptor.run(ctx);
      if (replies) return replies;
    }
    let payload = ctx.message.payload;
    if (!payload && ctx.text && this.choices && !ctx.text.startsWith("/")) {
      const chosen = pickTypedChoice(ctx.text, offeredChoices(await ctx.loadState()), this.choices);
      if (chosen) {
        ctx.log.debug({ payload: chosen.payload }, "typed choice");
        payload = chosen.payload;
      }
    }
    if (payload) {
      const cut = payload.indexOf(":");
      const handler = this.payloads.get(cut === -1 ? payload : payload.slice(0, cut));
      if (handler) return handler.run(ctx, cut === -1 ? "" : payload.slice(cut + 1));
      // A button from an older message whose handler no longer exists: treat its payload as text.
    }
    const parsed = parseCommand(ctx.text);
    if (parsed) {
      const command = this.commands.get(parsed.name);
      if (command) return command.run(ctx, parsed.args);
      return [{ text: fill(ctx.services.messages.unknownCommand, { command: `/${parsed.name}` }) }];
    }
    if (!ctx.text) return [{ text: ctx.services.messages.emptyMessage }];
    return this.textHandler(ctx);
  }
}
