/**
 * Working with the shared ledger's PostgreSQL: where it is, transactions and queries on a pool, and which
 * errors mean "the database cannot be reached" (wait and try again) rather than a fault in what was
 * asked. Types only from the driver: the driver itself loads with pg_pool.ts, where a pool is opened, so
 * commands that never touch PostgreSQL never load it.
 * @module
 */
// @ts-types="npm:@types/pg@8.23.1"
import type pg from "pg";
import { LedgerUnreachableError, UserInputError } from "../errors.ts";

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

export interface PgTarget {
  /** `postgres://user@host:port/database?sslmode=…` */
  url: string;
  /** A PEM file with the CA that signed the server's certificate (also `sslrootcert` in the URL). */
  caFile?: string;
  /** Where the URL came from, for messages: `pressroom.json: ledger.url`, `$PRESSROOM_LEDGER_URL`. */
  from: string;
}

/** The URL with its password hidden: what messages and logs may show. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unreadable URL)";
  }
}

/** Deno refused the connection itself: no permission for that host (node:net reports it as EPERM). */
function deniedByPermissions(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || (error as { code?: unknown })?.code === "EPERM";
}

/** SQLSTATE classes and codes that mean the server went away or is not taking connections. */
const UNREACHABLE_CODES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "57014", // query_canceled: statement_timeout
  "55P03", // lock_not_available: lock_timeout
  "25P03", // idle_in_transaction_session_timeout
]);
const UNREACHABLE_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Why an error means the database cannot be reached now, or undefined for any other error. */
export function unreachableReason(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (UNREACHABLE_CODES.has(code) || code.startsWith("08") || UNREACHABLE_ERRNOS.has(code)) {
      return error.message || code;
    }
  }
  if (
    /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(
      error.message,
    )
  ) {
    return error.message;
  }
  return undefined;
}

/**
 * Runs `fn` in one transaction on a pooled connection, and commits; rolls back if it throws. Unreachable
 * errors come out as LedgerUnreachableError (nothing was committed, or the commit's fate is unknown).
 */
export async function pgTransaction<T>(
  pool: pg.Pool,
  where: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await checkout(pool, where);
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    broken = unreachableReason(error) !== undefined;
    if (!broken) await client.query("ROLLBACK").catch(() => (broken = true));
    throw asUnreachable(error, where);
  } finally {
    // A connection that failed is not given back to serve the next transaction.
    client.release(broken);
  }
}

/** A connection from the pool, for several statements; `release(true)` drops one that failed. */
export async function checkout(pool: pg.Pool, where: string): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw asUnreachable(error, where);
  }
}

/** A query outside a transaction, with unreachable errors named as such. */
export async function pgQuery<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  where: string,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (error) {
    throw asUnreachable(error, where);
  }
}

/** The error as LedgerUnreachableError when it means the database cannot be reached, else as it is. */
export function asUnreachable(error: unknown, where: string): unknown {
  if (deniedByPermissions(error)) {
    return new UserInputError(
      `${where}: Deno's permissions refuse this connection (${
        (error as Error).message
      }): add the database's ` +
        `host:port to "permissions.pressroom.net" in deno.json (and compile again)`,
      { cause: error },
    );
  }
  const why = unreachableReason(error);
  return why === undefined ? error : new LedgerUnreachableError(where, why, { cause: error });
}

/**
 * Runs `fn` again while it fails for want of the database, waiting `wait(attempt)` ms between tries: for
 * what must be recorded however long that takes (a settled call's row).
 */
export async function untilReachable<T>(fn: () => Promise<T>, wait: (attempt: number) => number): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof LedgerUnreachableError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait(attempt)));
    }
  }
}
