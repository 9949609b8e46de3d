/**
 * Opening a pool on the shared ledger's PostgreSQL: the URL and TLS settings as the `pg` driver takes them.
 *
 * The driver is `pg` (node-postgres): under Deno 2.9.6 against PostgreSQL 15 with a self-signed
 * certificate whose subject names 127.0.0.1, `pg` verifies the chain against a given CA and refuses
 * without it, while `postgres` (postgres.js) refused even with the CA (it checked the name "localhost").
 * @module
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { UserInputError } from "../errors.ts";
import type { PgTarget } from "./postgres.ts";

/** The URL's `sslmode`, as libpq spells them. */
const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
type SslMode = typeof SSL_MODES[number];

/**
 * The `pg` pool settings for a target, or a UserInputError naming where the URL came from. Pure apart
 * from reading the CA file. TLS follows libpq: `require` encrypts, and verifies the chain only when a CA
 * is given; `verify-ca` verifies the chain; `verify-full` the chain and the host name.
 */
export function poolConfig(target: PgTarget): pg.PoolConfig {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch (error) {
    throw new UserInputError(`${target.from}: not a URL`, { cause: error });
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new UserInputError(`${target.from}: must start with postgres:// (got ${url.protocol}//)`);
  }
  const mode = (url.searchParams.get("sslmode") ?? "prefer") as SslMode;
  if (!SSL_MODES.includes(mode)) {
    throw new UserInputError(
      `${target.from}: sslmode must be one of ${SSL_MODES.join(", ")} (got "${mode}")`,
    );
  }
  const caFile = target.caFile ?? url.searchParams.get("sslrootcert") ?? undefined;
  const ca = caFile === undefined ? undefined : readCa(caFile, target.from);
  // The driver would read sslmode itself, with its own meaning of `require`: ours is libpq's.
  for (const key of [...url.searchParams.keys()]) url.searchParams.delete(key);
  return {
    connectionString: url.toString(),
    ssl: sslOptions(mode, ca),
    // Transactions are short; this serves the default six stages at once, the heartbeat and housekeeping.
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A peer that vanishes mid-transaction (power lost) must not hold the caps' lock for hours: the server
    // ends an idle transaction after 10 s, nobody waits on a lock for more than 10 s, and TCP keepalives
    // notice a dead server. Each ends as an error that waits and tries again (postgres.ts).
    keepAlive: true,
    idle_in_transaction_session_timeout: 10_000,
    lock_timeout: 10_000,
    statement_timeout: 60_000,
    application_name: "pressroom",
    types: { getTypeParser: typeParser },
  };
}

function sslOptions(mode: SslMode, ca: string | undefined): pg.PoolConfig["ssl"] {
  switch (mode) {
    case "disable":
    case "allow":
    case "prefer":
      // libpq's `allow` and `prefer` fall back from one to the other; the driver cannot, so they connect
      // without TLS, as `disable` does: ask for `require` or above to have it.
      return false;
    case "require":
      return ca === undefined
        ? { rejectUnauthorized: false }
        : { ca, rejectUnauthorized: true, checkServerIdentity };
    case "verify-ca":
      return { ca, rejectUnauthorized: true, checkServerIdentity };
    case "verify-full":
      return { ca, rejectUnauthorized: true };
  }
}

/**
 * Counts and nano-USD are BIGINT, and their sums NUMERIC: numbers here, exact up to 2^53 (about
 * $9 million in nano-USD), where the driver would give strings.
 */
const typeParser =
  ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
      ? Number
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"];

/** verify-ca and require: the chain is checked, the host name is not (libpq's meaning). */
function checkServerIdentity(): undefined {
  return undefined;
}

function readCa(path: string, from: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw new UserInputError(`${from}: CA file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A connection that never ends the process with an "error" event. The pool listens on idle connections
 * only; one that is out of the pool, or between two of the pool's hands, would otherwise throw a server's
 * "terminating connection" uncaught. The statement under way fails all the same, and the pool drops the
 * connection.
 */
class QuietClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on("error", () => {});
  }
}

/** A pool whose connections may drop (a restarted server) without taking the process down. */
export function openPool(target: PgTarget): pg.Pool {
  const pool = new pg.Pool({ ...poolConfig(target), Client: QuietClient });
  // An idle connection the server closed is removed from the pool; the next query makes a new one.
  pool.on("error", () => {});
  return pool;
}
