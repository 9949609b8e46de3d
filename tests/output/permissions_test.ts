import { assert, assertEquals } from "../assert.ts";
import { DENO, listTree, ROOT, tempDir, WF } from "./fixtures.ts";

const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const envAllowed: unknown = config.permissions?.pressroom?.env;
const yamlCanParse = envAllowed === true ||
  (Array.isArray(envAllowed) && envAllowed.includes("LOG_TOKENS") && envAllowed.includes("LOG_STREAM"));

Deno.test("every output write works under the binary's permission set (-P=pressroom)", async () => {
  const dir = await tempDir();
  const driver = new URL("./pressroom_perms_driver.ts", import.meta.url).pathname;
  const out = await new Deno.Command(DENO, {
    args: ["run", "-q", "-P=pressroom", driver, dir],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(report.published, `${dir}/published/lighthouses-how-they-work.md`);
  assertEquals(report.review, `${dir}/review/${WF}.md`);
  assertEquals(await listTree(dir), [
    "published/",
    "published/lighthouses-how-they-work.md",
    "review/",
    `review/${WF}.md`,
    "workflows/",
    `workflows/${WF}/`,
    `workflows/${WF}/brief.json`,
    `workflows/${WF}/draft.md`,
    `workflows/${WF}/request.json`,
    `workflows/${WF}/transcript.jsonl`,
  ]);
  // The yaml package's Node build reads LOG_TOKENS and LOG_STREAM on every parse. Until the
  // pressroom permission set allows them, parsing fails there with a clear FrontMatterError.
  if (yamlCanParse) assertEquals(report.parse, "ok");
  else assert(/^FrontMatterError: .*LOG_TOKENS/.test(report.parse), report.parse);
});
