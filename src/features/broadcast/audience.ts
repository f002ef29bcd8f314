// Who an announcement reaches, over the unit tree (AdminUnit.path: a subtree is `starts_with(path, root)`):
// - citizens: identities subscribed to a unit of the subtree (Subscription with optedOutAt null);
// - officers: identities of people holding an active role (any role) on a unit of the subtree;
// - both.
// Always: the identity is reachable (unreachableAt null) and on one of the chosen channels.
// One message per person: a person with several eligible identities (Telegram and Zalo linked with
// /lienket) is reached through the first of them (lowest identity id), in the preview count and in the
// fan-out alike.
//
// The fan-out reads recipients in keyset pages (identity id > cursor, ascending) and inserts their
// deliveries in the same statement. A page is idempotent: an identity is skipped only when its person
// already has a delivery of this broadcast through ANOTHER identity, so redoing a page after a crash
// returns the same recipients (with their PENDING deliveries) and inserts nothing new.
// Channels come from the channel registry (the sendable ones); the SQL compares their enum values as text.
import { channelRegistry, type ChannelName, type ChannelRegistry } from "../../channels/registry.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";

export type Audience = "CITIZENS" | "OFFICERS" | "BOTH";
/** A channel announcements can go out on: one of the registry's sendable channels. */
export type SendChannel = ChannelName;

export interface AudienceSpec {
  /** Path of the subtree's root unit, e.g. "/44/450/". */
  unitPath: string;
  audience: Audience;
  /** Channels to reach; empty reaches nobody. */
  channels: readonly SendChannel[];
}

export interface Recipient {
  identityId: number;
  personId: number;
  channel: SendChannel;
  chatId: string;
  /** Reached as a subscribed citizen (their message carries the /huy hint). */
  citizen: boolean;
}

/** Subscribed to a unit of the subtree ($1). */
const CITIZEN = `EXISTS (SELECT 1 FROM subscription s JOIN admin_unit su ON su.code = s.unit_code
  WHERE s.identity_id = ci.id AND s.opted_out_at IS NULL AND starts_with(su.path, $1))`;
/** Holds an active role on a unit of the subtree ($1). */
const OFFICER = `EXISTS (SELECT 1 FROM role_assignment r JOIN admin_unit ru ON ru.code = r.unit_code
  WHERE r.person_id = ci.person_id AND r.revoked_at IS NULL AND starts_with(ru.path, $1))`;
/** Reachable, on one of the channels ($2: JSON array of upper-case names). */
const REACHABLE = `ci.unreachable_at IS NULL AND ci.channel::text IN (SELECT value FROM json_array_elements_text($2::json))`;

/** WHERE clause over `channel_identity ci`: the whole audience (for counting). */
function eligible(audience: Audience): string {
  const who = audience === "CITIZENS" ? CITIZEN : audience === "OFFICERS" ? OFFICER : `(${CITIZEN} OR ${OFFICER})`;
  return `${REACHABLE} AND ${who}`;
}

// The fan-out's page reads each group as its own ordered stream, so that the database walks an index from
// the cursor and stops after `limit` rows: citizens along the subscriptions' primary key (= identity id),
// officers through the (few) role holders. $3 = cursor, $5 = limit.
const CITIZEN_STREAM = `SELECT ci.id, ci.person_id, ci.channel::text AS channel, ci.chat_id, true AS citizen
  FROM subscription s JOIN channel_identity ci ON ci.id = s.identity_id
  WHERE s.identity_id > $3 AND s.opted_out_at IS NULL
    AND s.unit_code IN (SELECT code FROM admin_unit WHERE starts_with(path, $1))
    AND ${REACHABLE}
  ORDER BY s.identity_id LIMIT $5`;
const OFFICER_STREAM = `SELECT ci.id, ci.person_id, ci.channel::text AS channel, ci.chat_id, false AS citizen
  FROM channel_identity ci
  WHERE ci.id > $3 AND ${REACHABLE}
    AND ci.person_id IN (SELECT r.person_id FROM role_assignment r JOIN admin_unit ru ON ru.code = r.unit_code
                         WHERE r.revoked_at IS NULL AND starts_with(ru.path, $1))
  ORDER BY ci.id LIMIT $5`;

function candidates(audience: Audience): string {
  if (audience === "CITIZENS") return CITIZEN_STREAM;
  if (audience === "OFFICERS") return OFFICER_STREAM;
  // Both: the first `limit` of the union of the two streams' first `limit`; a citizen who is also an
  // officer counts as a citizen (their message carries the /huy hint).
  return `SELECT DISTINCT ON (id) * FROM ((${CITIZEN_STREAM}) UNION ALL (${OFFICER_STREAM})) u ORDER BY id, citizen DESC LIMIT $5`;
}

const channelsParam = (channels: readonly SendChannel[], registry: ChannelRegistry) => JSON.stringify(channels.map((c) => registry.toEnum(c)));

export type ChannelCounts = Record<SendChannel, number>;

/** A zero for every sendable channel of the registry. */
export function zeroCounts(registry: ChannelRegistry = channelRegistry): ChannelCounts {
  return Object.fromEntries(registry.sendable.map((c) => [c, 0])) as ChannelCounts;
}

/** Recipients per channel (one per person), as the fan-out would reach them now. */
export async function countAudience(prisma: PrismaClient, spec: AudienceSpec, registry: ChannelRegistry = channelRegistry): Promise<ChannelCounts> {
  const counts = zeroCounts(registry);
  if (spec.channels.length === 0) return counts;
  const rows = await prisma.$queryRawUnsafe<Array<{ channel: string; n: number }>>(
    `SELECT channel, count(*)::int AS n FROM (
       SELECT DISTINCT ON (ci.person_id) ci.channel::text AS channel
       FROM channel_identity ci WHERE ${eligible(spec.audience)}
       ORDER BY ci.person_id, ci.id
     ) t GROUP BY channel`,
    spec.unitPath,
    channelsParam(spec.channels, registry),
  );
  for (const row of rows) counts[registry.fromEnum(row.channel)] = Number(row.n);
  return counts;
}

export interface AudiencePage {
  /** The page's recipients whose delivery is still PENDING (to be queued). */
  recipients: Recipient[];
  /** Identity id to continue after; null when there is nothing more. */
  next: number | null;
}

/**
 * One page of a broadcast's fan-out, in one statement: reads at most `limit` eligible identities after
 * `cursor`, keeps one per person, inserts their deliveries (existing ones are left alone) and returns those
 * whose delivery is PENDING. Running it twice for the same cursor returns the same recipients.
 */
export async function expandPage(
  prisma: PrismaClient,
  spec: AudienceSpec,
  broadcastId: number,
  cursor: number,
  limit: number,
  registry: ChannelRegistry = channelRegistry,
): Promise<AudiencePage> {
  if (spec.channels.length === 0) return { recipients: [], next: null };
  const rows = await prisma.$queryRawUnsafe<Array<{ id: number | null; person_id: number; channel: string; chat_id: string; citizen: boolean; status: string; last: number | null }>>(
    `WITH candidates AS (${candidates(spec.audience)}),
     page AS (
       -- Persons already reached through another identity are left out. LATERAL … LIMIT 1 keeps this an
       -- index look-up per candidate (a hash over all of the broadcast's deliveries would grow each page).
       SELECT c.* FROM candidates c
       LEFT JOIN LATERAL (
         SELECT 1 AS hit FROM channel_identity x JOIN broadcast_delivery d ON d.broadcast_id = $4 AND d.identity_id = x.id
         WHERE x.person_id = c.person_id AND x.id <> c.id LIMIT 1
       ) other ON true
       WHERE other.hit IS NULL
     ),
     chosen AS (SELECT DISTINCT ON (person_id) * FROM page ORDER BY person_id, id),
     inserted AS (
       INSERT INTO broadcast_delivery (broadcast_id, identity_id) SELECT $4, id FROM chosen
       ON CONFLICT (broadcast_id, identity_id) DO NOTHING
     )
     SELECT c.id, c.person_id, c.channel, c.chat_id, c.citizen, coalesce(d.status::text, 'PENDING') AS status, m.last
     FROM (SELECT max(id) AS last FROM candidates) m
       LEFT JOIN chosen c ON true
       LEFT JOIN LATERAL (
         SELECT d.status FROM broadcast_delivery d WHERE d.broadcast_id = $4 AND d.identity_id = c.id LIMIT 1
       ) d ON true
     ORDER BY c.id`,
    spec.unitPath,
    channelsParam(spec.channels, registry),
    cursor,
    broadcastId,
    limit,
  );
  // One row even when every candidate was left out (persons already reached): `last` still moves on.
  const last = rows[0]?.last;
  if (last === null || last === undefined) return { recipients: [], next: null };
  const recipients = rows
    .filter((row) => row.id !== null && row.status === "PENDING")
    .map((row) => ({
      identityId: Number(row.id),
      personId: Number(row.person_id),
      channel: registry.fromEnum(row.channel),
      chatId: row.chat_id,
      citizen: Boolean(row.citizen),
    }));
  return { recipients, next: Number(last) };
}
