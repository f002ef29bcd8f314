// Is this error "the database cannot be reached right now" (as opposed to a bug or bad data)? Such a turn
// is worth running again later: the channel answers the platform 5xx so that it re-delivers the update.
//
// Recognised: Prisma's connection codes (P1001 can't reach, P1002 timed out, P1008 operation timed out,
// P1017 server closed the connection, P2024 no connection from the pool in time), a driver adapter error
// whose kind says the same, PostgreSQL's connection and shutdown SQLSTATEs (class 08, 57P01–57P03),
// socket errors (ECONNREFUSED, ECONNRESET…), pg's "Connection terminated", and a closed PGlite.

const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "DatabaseAccessDenied"]);
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
const MESSAGES = /PGlite is closed|Cannot use a pool after calling end|Connection terminated|connection timeout|Can't reach database server|Timed out fetching a new connection|Server has closed the connection|the database system is (starting up|shutting down)/i;

function ownCode(value: unknown): string | undefined {
  const code = (value as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function adapterKind(value: unknown): string | undefined {
  const candidate = value as { name?: unknown; cause?: { kind?: unknown }; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } } | null;
  const kind = candidate?.meta?.driverAdapterError?.cause?.kind ?? (candidate?.name === "DriverAdapterError" ? candidate.cause?.kind : undefined);
  return typeof kind === "string" ? kind : undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === "object"; depth++) {
    const code = ownCode(current);
    if (code && (PRISMA_CODES.has(code) || SOCKET_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code))) return true;
    const kind = adapterKind(current);
    if (kind && ADAPTER_KINDS.has(kind)) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === "string" && MESSAGES.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
