/**
 * The file side of `pressroom prices import`: reading the price map, reading
 * the config as it is on disk, and writing it back only when it would load,
 * keeping the file's own form (byte order mark, indent, line ends, mode, a
 * symlink's target).
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { readConfigFile, writeConfig } from "../../src/config/config_file.ts";
import { readPriceFile } from "../../src/models/price_file.ts";
import { ConfigError, UserInputError } from "../../src/errors.ts";
import { PriceFileError } from "../../src/models/litellm.ts";
import { tempDir } from "../helpers.ts";

Deno.test("readPriceFile refuses bytes that are not UTF-8 text, naming the file", async () => {
  const dir = await tempDir();
  await Deno.writeFile(`${dir}/p.json`, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
  const error = await assertRejects(() => readPriceFile(`${dir}/p.json`), PriceFileError);
  assertEquals(error.message, `${dir}/p.json: not UTF-8 text`);
});

Deno.test("readPriceFile reads a regular file whole", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/p.json`, '{"a": 1}');
  assertEquals(await readPriceFile(`${dir}/p.json`), '{"a": 1}');
});

Deno.test("readConfigFile refuses a config that is no longer valid JSON, naming it", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/pressroom.json`, "{ broken");
  const error = await assertRejects(() => readConfigFile(`${dir}/pressroom.json`), UserInputError);
  assert(error.message.startsWith(`${dir}/pressroom.json: not valid JSON: `), error.message);
});

Deno.test("readConfigFile refuses a config the schema does not accept", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/pressroom.json`, '{"caps": {"dailyUsd": -1}}');
  await assertRejects(() => readConfigFile(`${dir}/pressroom.json`), ConfigError, "caps.dailyUsd");
});

Deno.test("writeConfig never writes a config that would not load: the schema refuses it, the file stays", async () => {
  const dir = await tempDir();
  const text = '{\n  "prices": {}\n}\n';
  await Deno.writeTextFile(`${dir}/pressroom.json`, text);
  const config = await readConfigFile(`${dir}/pressroom.json`);
  const next = { prices: { "claude-x": { input: 3.0001, output: 15 } } };
  const error = await assertRejects(() => writeConfig(config, next, []), ConfigError);
  assert(error.message.includes('prices["claude-x"].input'), error.message);
  assertEquals(await Deno.readTextFile(`${dir}/pressroom.json`), text);
});

Deno.test("writeConfig refuses when a model it was to write would have no price, and leaves the file", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/pressroom.json`, "{}");
  const config = await readConfigFile(`${dir}/pressroom.json`);
  const models = [{ model: "claude-missing", rates: { input: 1, output: 1 } }];
  const error = await assertRejects(() => writeConfig(config, {}, models), UserInputError, "claude-missing");
  assert(error.message.startsWith(`${config.path}: prices["claude-missing"]: `), error.message);
  assertEquals(await Deno.readTextFile(`${dir}/pressroom.json`), "{}");
});

Deno.test("writeConfig keeps the file's byte order mark, tab indent, CRLF line ends and mode", async () => {
  const dir = await tempDir();
  const path = `${dir}/pressroom.json`;
  await Deno.writeTextFile(path, '\uFEFF{\r\n\t"dataDir": "./d"\r\n}\r\n');
  await Deno.chmod(path, 0o600);
  const config = await readConfigFile(path);
  await writeConfig(config, { ...config.raw, prices: { "claude-x": { input: 3, output: 15 } } }, []);
  assertEquals(
    await Deno.readTextFile(path),
    '\uFEFF{\r\n\t"dataDir": "./d",\r\n\t"prices": {\r\n\t\t"claude-x": {\r\n\t\t\t"input": 3,\r\n\t\t\t"output": 15\r\n' +
      "\t\t}\r\n\t}\r\n}\r\n",
  );
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
});

Deno.test("writeConfig writes through a symlinked config to its target, keeping the link", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/real.json`, "{}\n");
  await Deno.symlink(`${dir}/real.json`, `${dir}/pressroom.json`);
  const config = await readConfigFile(`${dir}/pressroom.json`);
  await writeConfig(config, { prices: { "claude-x": { input: 1, output: 2 } } }, []);
  assert((await Deno.lstat(`${dir}/pressroom.json`)).isSymlink);
  assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/real.json`)).prices["claude-x"], {
    input: 1,
    output: 2,
  });
});
