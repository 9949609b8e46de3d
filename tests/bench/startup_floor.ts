/**
 * The floor under `status` and `caps`: only the libraries every command that reads the config loads (zod for
 * the schema, croner for the cron fields, node:sqlite for the ledger, node:util for parseArgs), and nothing of
 * Pressroom's own. The start-up bench times it beside them, so the table shows what the program itself adds.
 * @module
 */
import "zod";
import "croner";
import "node:sqlite";
import "node:util";
