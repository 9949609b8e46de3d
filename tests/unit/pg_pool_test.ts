/**
 * The shared ledger's connection settings, pure: sslmode as libpq means it, the CA file, and one clear line
 * naming where a bad URL came from. No server needed.
 */
import { assertEquals, assertThrows } from "../assert.ts";
import { poolConfig } from "../../src/db/pg_pool.ts";
import { redactedUrl, unreachableReason } from "../../src/db/postgres.ts";
import { UserInputError } from "../../src/errors.ts";
import { tempDir } from "../helpers.ts";

Deno.test("sslmode: disable and no mode mean no TLS, require encrypts without a CA, verifies with one", async () => {
  const ca = `${await tempDir()}/ca.pem`;
  await Deno.writeTextFile(ca, "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n");
  const ssl = (url: string, caFile?: string) => poolConfig({ url, caFile, from: "test" }).ssl;
  assertEquals(ssl("postgres://h/d"), false);
  assertEquals(ssl("postgres://h/d?sslmode=disable"), false);
  assertEquals(ssl("postgres://h/d?sslmode=require"), { rejectUnauthorized: false });
  const verified = ssl("postgres://h/d?sslmode=require", ca) as { ca: string; rejectUnauthorized: boolean };
  assertEquals([verified.ca.startsWith("-----BEGIN"), verified.rejectUnauthorized], [true, true]);
  const full = ssl(`postgres://h/d?sslmode=verify-full&sslrootcert=${ca}`) as Record<string, unknown>;
  assertEquals([typeof full.ca, full.rejectUnauthorized, "checkServerIdentity" in full], [
    "string",
    true,
    false,
  ]);
  // The driver never sees sslmode: it would read its own meaning of `require` into it.
  assertEquals(
    poolConfig({ url: "postgres://u@h:6543/d?sslmode=require", from: "t" }).connectionString,
    "postgres://u@h:6543/d",
  );
});

Deno.test("a bad shared ledger URL or CA file is one line naming where it came from", () => {
  const message = (url: string, caFile?: string) =>
    assertThrows(() => poolConfig({ url, caFile, from: "$PRESSROOM_LEDGER_URL" }), UserInputError).message;
  assertEquals(message("not a url"), "$PRESSROOM_LEDGER_URL: not a URL");
  assertEquals(message("mysql://h/d"), "$PRESSROOM_LEDGER_URL: must start with postgres:// (got mysql://)");
  assertEquals(
    message("postgres://h/d?sslmode=strict"),
    '$PRESSROOM_LEDGER_URL: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full (got "strict")',
  );
  assertEquals(
    message("postgres://h/d?sslmode=require", "/nonexistent/ca.pem").split(":").slice(0, 2).join(":"),
    "$PRESSROOM_LEDGER_URL: CA file /nonexistent/ca.pem",
  );
});

Deno.test("the password never shows in messages; which errors mean the database is away", () => {
  assertEquals(redactedUrl("postgres://u:s3cret@db/p"), "postgres://u:***@db/p");
  const coded = (code: string) => Object.assign(new Error("x"), { code });
  assertEquals(unreachableReason(coded("ECONNREFUSED")), "x");
  assertEquals(unreachableReason(coded("57P01")), "x");
  assertEquals(unreachableReason(coded("08006")), "x");
  assertEquals(
    unreachableReason(new Error("Connection terminated unexpectedly")),
    "Connection terminated unexpectedly",
  );
  assertEquals(unreachableReason(coded("23505")), undefined, "a unique violation is a fault, not an outage");
  assertEquals(unreachableReason(coded("42P01")), undefined);
});
