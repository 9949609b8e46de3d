/**
 * Pressroom's entry point, for `deno run` and `deno compile`.
 * @module
 */
import { main } from "./cli/main.ts";

Deno.exit(await main(Deno.args));
