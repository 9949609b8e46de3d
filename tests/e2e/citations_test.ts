/**
 * Citations a reader can check, end to end on the simulated model: with web search and `require`, every
 * workflow still reaches publication and every published source came from a search of its stage; with
 * `flag` and no search, the addresses cited from memory are kept and marked in draft.md.
 */
import { existsSync } from "node:fs";
import { assert, assertEquals } from "../assert.ts";
import { runPressroom, tempDir } from "../helpers.ts";
import { parseFrontMatter } from "../../src/output/front_matter.ts";

async function demo(researcher: Record<string, unknown>, workflows: number): Promise<string> {
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ agents: { researcher } }));
  const run = await runPressroom(cwd, ["demo", "--workflows", String(workflows)]);
  assertEquals(run.code, 0, run.err);
  return cwd;
}

Deno.test("require on a model that searches first: no workflow is stranded at the researcher, every source published came from a search of its stage", async () => {
  // One search a turn keeps the researcher's worst case (three searches: $1.27) under the $1 workflow cap.
  const cwd = await demo({ webSearch: { enabled: true, maxUses: 1 }, citations: "require" }, 4);
  const published = [...Deno.readDirSync(`${cwd}/pressroom-data/published`)].map((e) => e.name);
  // The simulator's draws follow the workflow ids, which differ run to run: now and then its editor flags a
  // draft, or a model refuses. Neither is the citations' doing; a researcher stuck on `require` would be.
  const reviews = `${cwd}/pressroom-data/review`;
  for (const entry of existsSync(reviews) ? Deno.readDirSync(reviews) : []) {
    const review = Deno.readTextFileSync(`${reviews}/${entry.name}`);
    assert(!/^stage: "researcher"$/m.test(review), review.slice(0, 400));
  }
  assert(published.length >= 1, "nothing was published");
  let sources = 0;
  for (const name of published) {
    const front = parseFrontMatter(await Deno.readTextFile(`${cwd}/pressroom-data/published/${name}`));
    for (const source of front.sources ?? []) {
      assertEquals(source.provenance, "web_search", `${name}: ${source.url}`);
      sources++;
    }
  }
  // A researcher refused a citation may write notes instead: some articles carry no source, but not all.
  assert(sources > 0, `no source in ${published.length} articles`);
});

Deno.test("flag without web search: addresses cited from memory are kept and marked unverified in draft.md", async () => {
  const cwd = await demo({}, 3);
  const drafts = [...Deno.readDirSync(`${cwd}/pressroom-data/workflows`)].map((e) =>
    Deno.readTextFileSync(`${cwd}/pressroom-data/workflows/${e.name}/draft.md`)
  );
  assert(
    drafts.some((d) =>
      d.includes("_(**unverified:** no web search of the research stage returned this address)_")
    ),
    "no unverified mark in any draft",
  );
});
