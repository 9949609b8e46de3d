/**
 * `pressroom ledger migrate`: brings the ledger's schema up to this program's, the shared ledger's
 * (ledger.url) when there is one, else the data folder's, and says which versions it applied; several at
 * once are safe (shared_ledger.ts). `pressroom ledger copy --to postgres://… [--ca FILE]`: the data
 * folder's SQLite ledger into a shared ledger, rerunnable (ledger_copy.ts).
 * @module
 */
import { UsageError, UserInputError } from "../errors.ts";
import { redactedUrl } from "../db/postgres.ts";
import { openPool } from "../db/pg_pool.ts";
import { migratePg } from "../db/pg_migrations.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import { machineName } from "../config/load.ts";
import type { Io } from "./io.ts";
import { Storage } from "../db/storage.ts";
import type { CopyCounts } from "../ledger/ledger_copy.ts";

export const ledgerOptions = {
  to: { type: "string" },
  ca: { type: "string" },
} as const;

export async function ledgerCommand(parsed: Parsed, io: Io): Promise<number> {
  const [action, ...extra] = parsed.positionals;
  if (extra.length) throw new UsageError(`ledger ${action}: unexpected argument "${extra[0]}"`);
  if (action === "migrate") return await migrate(parsed, io);
  if (action === "copy") return await copy(parsed, io);
  throw new UsageError(
    `ledger: ${action === undefined ? "give" : `unknown action "${action}"; give`} migrate, or copy --to URL`,
  );
}

async function migrate(parsed: Parsed, io: Io): Promise<number> {
  if (parsed.values.to !== undefined) throw new UsageError("ledger migrate: --to belongs to ledger copy");
  const loaded = await configFrom(parsed, io);
  const target = loaded.sharedLedger;
  if (!target) {
    // Opening the data folder's ledger migrates it.
    const storage = Storage.open({ dataDir: loaded.dataDir, caps: loaded.config.caps, now: io.now });
    const version = storage.ledger.schemaVersion();
    await storage.close();
    io.out(`ledger: ${loaded.dataDir}/pressroom.db is at schema version ${version}`);
    return 0;
  }
  const pool = openPool(target);
  try {
    const applied = await migratePg(pool, redactedUrl(target.url));
    io.out(
      applied.length
        ? `shared ledger ${redactedUrl(target.url)}: applied migration${applied.length > 1 ? "s" : ""} ${
          applied.join(", ")
        }`
        : `shared ledger ${redactedUrl(target.url)}: up to date, nothing to apply`,
    );
  } finally {
    await pool.end();
  }
  return 0;
}

async function copy(parsed: Parsed, io: Io): Promise<number> {
  const url = parsed.values.to as string | undefined;
  if (!url) throw new UsageError("ledger copy: give the shared ledger: --to postgres://user@host/database");
  const loaded = await configFrom(parsed, io);
  const target = { url, from: "--to", caFile: (parsed.values.ca as string | undefined) ?? undefined };
  const where = redactedUrl(url);
  const machine = machineName(loaded.config);
  // As `run` opens it: what dead processes left open is settled first; a live one's calls stop the copy.
  const storage = await openExistingStorage({ ...loaded, sharedLedger: null }, io);
  let pool: ReturnType<typeof openPool> | undefined;
  try {
    pool = openPool(target);
    const open = storage.ledger.openReservations();
    if (open > 0) {
      throw new UserInputError(
        `ledger copy: ${open} call(s) in flight in ${loaded.dataDir}/pressroom.db: stop every pressroom run ` +
          "on this data folder, then copy",
      );
    }
    await migratePg(pool, where);
    const result = await storage.copyLedgerTo({
      pool,
      where,
      machine,
      onBatch: (read) => io.progress?.(`copied ${read} call rows…`),
    });
    io.progress?.("");
    const { calls, toolCalls, refusals, alerts, completions, arms } = result;
    const counted = (c: CopyCounts, what: string) => `${c.inserted} of ${c.read} ${what}`;
    io.out(
      `copied to ${where} as machine "${machine}": ${counted(calls, "call rows")}, ` +
        `${counted(toolCalls, "tool calls")}, ${counted(refusals, "cap refusals")}, ` +
        `${counted(alerts, "fired alerts")}, ${counted(completions, "completions")}, ` +
        `${counted(arms, "canary arms")} (the rest were there already)`,
    );
  } finally {
    await pool?.end();
    await storage.close();
  }
  return 0;
}
