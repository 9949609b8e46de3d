/**
 * Run as a separate process by the publish race test:
 * `publish_driver.ts <dataDir> <slug> <count> <tag>` publishes `count` articles
 * under one slug, all at once, and prints the paths as JSON.
 * @module
 */
import { publishArticle } from "../../src/output/article.ts";

const [dataDir, slug, count, tag] = Deno.args;
const paths = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => publishArticle(dataDir, slug, `${tag} article ${i}\n`)),
);
console.log(JSON.stringify(paths));
