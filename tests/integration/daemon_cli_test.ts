/**
 * `run` as a daemon as a user meets it: one runner per data folder, graceful
 * and hard stops. The unit files that start it: systemd_cli_test.ts.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { dropRequest, jsonLineReader, runPressroom, spawnDaemon, stopDaemon, tempDir } from "../helpers.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { serveSimulator } from "../../src/sim/server.ts";

function daemon(cwd: string, url: string, args: string[] = []): Deno.ChildProcess {
  return spawnDaemon(
    cwd,
    { ANTHROPIC_API_KEY: "sk-ant-test-daemon-0123456789", ANTHROPIC_BASE_URL: url },
    args,
  );
}

Deno.test("one runner per data folder; SIGTERM stops claiming, finishes what is in flight, and exits 0", async () => {
  // Each call takes a while, so the stop lands mid-work.
  const server = serveSimulator(createSimulator({ seed: 5, latencyScale: 0.1 }));
  const cwd = await tempDir();
  await Deno.mkdir(`${cwd}/pressroom-data/inbox`, { recursive: true });
  for (const topic of ["Rain gardens", "Window boxes", "Compost tea"]) {
    await dropRequest(`${cwd}/pressroom-data/inbox`, `${topic.replaceAll(" ", "-")}.txt`, topic);
  }
  const child = daemon(cwd, server.url);
  const readLines = jsonLineReader(child);
  try {
    const started = await readLines((l) => l.event === "stage", 30_000);
    assert(started.some((l) => l.event === "stage"), JSON.stringify(started));

    const second = await runPressroom(cwd, ["run", "--once"], { ANTHROPIC_API_KEY: "sk-ant-x-0123456789" });
    assertEquals(second.code, 2);
    assertMatch(second.err, /another pressroom run is working on .*pass --force/);

    child.kill("SIGTERM");
    const rest = await readLines((l) => l.event === "stopped", 30_000);
    assert(rest.some((l) => l.event === "stopping"));
    assert(rest.some((l) => l.event === "stopped"), JSON.stringify(rest.slice(-3)));
    const status = await child.status;
    assertEquals(status.code, 0);

    const after = JSON.parse((await runPressroom(cwd, ["status", "--json"])).out).workflows;
    assertEquals(after.length, 3, "no workflow lost");
    const caps = JSON.parse((await runPressroom(cwd, ["caps", "--json"])).out).caps;
    assertEquals(caps[0].reservedUsd, 0, "nothing left in flight");
  } finally {
    await stopDaemon(child, server);
  }
});

Deno.test("a changed config file or SIGHUP reloads the config without a restart; a broken one is kept out", async () => {
  const server = serveSimulator(createSimulator({ seed: 6 }));
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ run: { pollSeconds: 0.2 } }));
  const child = daemon(cwd, server.url);
  const readLines = jsonLineReader(child);
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    await Deno.writeTextFile(
      `${cwd}/pressroom.json`,
      JSON.stringify({ run: { pollSeconds: 0.2 }, caps: { dailyUsd: 7 } }),
    );
    const changed = await readLines((l) => l.event === "reloaded", 15_000);
    assert(changed.some((l) => l.event === "reloaded"), JSON.stringify(changed));
    await Deno.writeTextFile(`${cwd}/pressroom.json`, `{"caps": {"dailyUsd": "lots"}}`);
    const broken = await readLines((l) => l.event === "reload_failed", 15_000);
    assertMatch(broken.at(-1).message, /config not reloaded, the old one stays: .*caps\.dailyUsd/);
    await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ run: { pollSeconds: 0.2 } }));
    await readLines((l) => l.event === "reloaded", 15_000);
    child.kill("SIGHUP");
    const hup = await readLines((l) => l.event === "reloaded", 15_000);
    assert(hup.some((l) => l.event === "reloaded"), "SIGHUP reloads");
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0);
  } finally {
    await stopDaemon(child, server);
  }
});

Deno.test("a second signal exits at once; the next start settles what was in flight", async () => {
  // Slow answers, so calls are in flight when the signals come.
  const server = serveSimulator(createSimulator({ seed: 8, latencyScale: 2 }));
  const cwd = await tempDir();
  await Deno.mkdir(`${cwd}/pressroom-data/inbox`, { recursive: true });
  await dropRequest(`${cwd}/pressroom-data/inbox`, "a.txt", "Hedgehog houses");
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ run: { graceSeconds: 60 } }));
  const child = daemon(cwd, server.url);
  const readLines = jsonLineReader(child);
  try {
    await readLines((l) => l.event === "inbox", 20_000);
    await new Promise((r) => setTimeout(r, 500)); // a call is on its way
    const started = Date.now();
    child.kill("SIGTERM");
    await readLines((l) => l.event === "stopping", 10_000);
    child.kill("SIGTERM");
    const status = await child.status;
    assertEquals(status.code, 130);
    assert(Date.now() - started < 10_000, "the second signal did not wait for the grace period");
    const caps = JSON.parse((await runPressroom(cwd, ["caps", "--json"])).out).caps;
    assertEquals(caps[0].reservedUsd, 0, "the next start settled the call left in flight");
    assert(caps[0].spentUsd > 0, "at its worst case, never at zero");
  } finally {
    await stopDaemon(child, server);
  }
});

Deno.test("the data folder deleted while run works: one clear line and exit 1", async () => {
  const server = serveSimulator(createSimulator({ seed: 10, latencyScale: 0.2 }));
  const cwd = await tempDir();
  await Deno.mkdir(`${cwd}/pressroom-data/inbox`, { recursive: true });
  await dropRequest(`${cwd}/pressroom-data/inbox`, "a.txt", "Moss gardens");
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ run: { pollSeconds: 0.2 } }));
  const child = daemon(cwd, server.url);
  const readLines = jsonLineReader(child);
  try {
    await readLines((l) => l.event === "inbox", 20_000);
    await Deno.remove(`${cwd}/pressroom-data`, { recursive: true });
    const status = await child.status;
    const err = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
    assertEquals(status.code, 1);
    assertMatch(
      err,
      /^pressroom: .*pressroom-data: the data folder or its database was deleted while running; stopping\n$/m,
    );
  } finally {
    await stopDaemon(child, server);
  }
});

Deno.test("run that cannot reach the API keeps running: one log line per back-off, the work stays ready, SIGTERM exits 0", async () => {
  const cwd = await tempDir();
  await Deno.mkdir(`${cwd}/pressroom-data/inbox`, { recursive: true });
  await dropRequest(`${cwd}/pressroom-data/inbox`, "Tide-pools.txt", "Tide pools");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close(); // nothing listens there: every connection is refused
  const child = daemon(cwd, url);
  const readLines = jsonLineReader(child);
  try {
    const seen = await readLines((l) => l.event === "unreachable", 30_000);
    const line = seen.find((l) => l.event === "unreachable");
    assert(line, JSON.stringify(seen));
    assertEquals([line.where, line.why], [url, "connection refused"]);
    const backoff = Date.parse(line.until) - Date.parse(line.ts);
    assert(backoff > 9_000 && backoff <= 10_000, `the first back-off is 10 s, not ${backoff} ms`);
    assertMatch(
      line.message,
      /^cannot reach the API at .* \(connection refused\): nothing was sent.*; trying again at /,
    );

    child.kill("SIGTERM");
    const rest = await readLines((l) => l.event === "stopped", 30_000);
    assert(rest.some((l) => l.event === "stopped"), JSON.stringify(rest.slice(-3)));
    assertEquals((await child.status).code, 0);
    const [workflow] = JSON.parse((await runPressroom(cwd, ["status", "--json"])).out).workflows;
    assertEquals([workflow.stage, workflow.status, workflow.reason], ["intake", "ready", null]);
  } finally {
    await stopDaemon(child, { close: () => Promise.resolve() });
  }
});
