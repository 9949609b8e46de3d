/**
 * `pressroom init`: writes a starter pressroom.json (every field at its
 * default), its JSON Schema, and the default prompt blocks to edit, and makes
 * the data folder's inbox to drop requests in. Never overwrites a file that exists.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { configJsonSchema, configSchema } from "../config/schema.ts";
import { DEFAULT_CONFIG_FILE } from "../config/load.ts";
import { loadPrompts, PROMPT_FILES } from "../pipeline/prompts.ts";
import type { Parsed } from "./args.ts";
import { configFrom } from "./context.ts";
import type { Io } from "./io.ts";
import { dataPaths } from "../output/paths.ts";
import { UserInputError } from "../errors.ts";

export async function initCommand(parsed: Parsed, io: Io): Promise<number> {
  const configPath = resolve((parsed.values.config as string | undefined) ?? DEFAULT_CONFIG_FILE);
  const dir = dirname(configPath);
  const defaults = configSchema.parse({});
  const config = { $schema: "./pressroom.schema.json", ...defaults };
  const builtin = await loadPrompts(undefined);
  const blocks = [builtin.shared, ...Object.values(builtin.agents).flatMap((a) => [a.stable, a.volatile])];
  const files: [string, string][] = [
    [configPath, JSON.stringify(config, null, 2) + "\n"],
    [join(dir, "pressroom.schema.json"), JSON.stringify(configJsonSchema(), null, 2) + "\n"],
    ...PROMPT_FILES.map((
      f,
      i,
    ): [string, string] => [join(resolve(dir, defaults.promptsDir), f), blocks[i].text]),
  ];
  for (const [path, text] of files) {
    await Deno.mkdir(dirname(path), { recursive: true });
    try {
      await Deno.writeTextFile(path, text, { createNew: true });
      io.out(`wrote   ${path}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      io.out(`kept    ${path} (exists)`);
    }
  }
  // The data folder as `run` will find it: the config just written (or kept), --data, $STATE_DIRECTORY.
  await makeInbox(dataPaths((await configFrom(parsed, io)).dataDir).inbox, io);
  return 0;
}

async function makeInbox(inbox: string, io: Io): Promise<void> {
  await Deno.mkdir(dirname(inbox), { recursive: true });
  try {
    await Deno.mkdir(inbox);
    io.out(`made    ${inbox}/`);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    if (!(await Deno.stat(inbox)).isDirectory) {
      throw new UserInputError(`${inbox}: exists and is not a folder`);
    }
    io.out(`kept    ${inbox}/ (exists)`);
  }
}
