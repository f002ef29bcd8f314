// What every channel adapter offers the rest of the app: declared in core/ports.ts, re-exported here.
export { RateLimitedError, UnreachableError } from "../core/ports.ts";
export type { ChannelAdapter, ChannelDeps, SentMessage } from "../core/ports.ts";
