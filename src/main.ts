/**
 * Pressroom's entry point, for `deno run` and `deno compile`: the one place the process exits.
 * @module
 */
import { main } from "./cli/main.ts";
import { denoIo } from "./cli/io.ts";

Deno.exit(await main(Deno.args, { ...denoIo, exit: (code) => Deno.exit(code) }));
