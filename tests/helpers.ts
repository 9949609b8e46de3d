/**
 * Shared test fixtures: temporary data folders, caps, a ledger and callClaude
 * dependencies wired to the fake API.
 * @module
 */
import type { CapsConfig } from "../src/config/schema.ts";
import type { Ledger, LedgerOptions } from "../src/ledger/ledger.ts";
import type { Db } from "../src/db/sqlite.ts";
import { openHandle, Storage } from "../src/db/storage.ts";
import { PriceBook } from "../src/models/price_book.ts";
import { createClient } from "../src/claude/client.ts";
import type { ClaudeCall, ClaudeDeps } from "../src/claude/call_claude.ts";

/** A key-shaped secret that tests look for everywhere it must not be. */
export const TEST_KEY = "sk-ant-test-0123456789-SECRET-must-never-be-written";

export const ROOT = new URL("../", import.meta.url).pathname;

export function caps(overrides: Partial<CapsConfig> = {}): CapsConfig {
  return {
    dailyUsd: 20,
    perModelDailyUsd: { "claude-opus-*": 12 },
    perWorkflowUsd: 1,
    timezone: "UTC",
    ...overrides,
  };
}

export async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "pressroom-test-" });
}

/**
 * Drops a request file into `inbox` as if a while ago: complete (unchanged for longer than a poll), so `run`
 * takes it at its first look instead of a poll later.
 */
export async function dropRequest(inbox: string, name: string, text: string): Promise<void> {
  const path = `${inbox}/${name}`;
  await Deno.writeTextFile(path, text);
  const hourAgo = new Date(Date.now() - 3_600_000);
  await Deno.utime(path, hourAgo, hourAgo);
}

/**
 * Makes a Unix socket file at `path`, as a program listening there would leave it (by python3: Deno needs
 * net permission for that). False when python3 is not there to make it.
 */
export async function makeSocket(path: string): Promise<boolean> {
  const script = "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])";
  try {
    return (await new Deno.Command("python3", { args: ["-c", script, path] }).output()).success;
  } catch {
    return false;
  }
}

/** The SQLite handle under each ledger opened here, for rawDb. */
const handles = new WeakMap<Ledger, Db>();

/** Opens the storage as the program does (Storage.open), keeping its handle for the tests' SQL checks. */
export function openStorage(options: LedgerOptions): Storage {
  const db = openHandle(options);
  const storage = Storage.on(db, options);
  handles.set(storage.ledger, db);
  return storage;
}

export function openLedger(dataDir: string, capsConfig = caps(), now?: () => number): Ledger {
  return openStorage({ dataDir, caps: capsConfig, now }).ledger;
}

/**
 * The SQLite handle under a ledger opened here (the same connection, so inside its transactions too):
 * tests check rows with SQL, where program code reaches them only through the stores' methods.
 */
export function rawDb(ledger: Ledger): Db {
  const db = handles.get(ledger);
  if (!db) throw new Error("rawDb: that ledger was not opened by tests/helpers.ts");
  return db;
}

export function deps(ledger: Ledger, baseURL: string, maxRetries = 2): ClaudeDeps {
  return {
    ledger,
    prices: new PriceBook(),
    client: createClient({ apiKey: TEST_KEY, baseURL, maxRetries }),
    backend: "anthropic",
  };
}

/** A small call: two stable blocks, a volatile block, no turns. */
export function simpleCall(overrides: Partial<ClaudeCall> = {}): ClaudeCall {
  return {
    agentId: "writer",
    workflowId: "wf-1",
    model: "claude-opus-4-7",
    maxTokens: 256,
    cacheTtl: "5m",
    stable: ["You are part of Pressroom.", "You are the writer."],
    volatile: "Write about lighthouses.",
    ...overrides,
  };
}

/** Every file under `dir`, recursively, as [path, bytes]. */
export async function* filesUnder(dir: string): AsyncGenerator<[string, Uint8Array]> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* filesUnder(path);
    else if (entry.isFile) yield [path, await Deno.readFile(path)];
  }
}

/** SUM of cost_nano_usd over the ledger, straight from SQL. */
export function recordedNano(ledger: Ledger, where = "1 = 1"): number {
  return (rawDb(ledger).prepare(`SELECT COALESCE(SUM(cost_nano_usd), 0) AS n FROM ai_call_log WHERE ${where}`)
    .get() as {
      n: number;
    }).n;
}

/**
 * `deno run` arguments for a script of this repository (the program unless named) under the binary's
 * permission set, so that a test running it also proves those permissions are enough.
 */
export function pressroomArgs(args: string[], script = "src/main.ts"): string[] {
  return ["run", "-q", "-P=pressroom", "--config", `${ROOT}deno.json`, `${ROOT}${script}`, ...args];
}

/**
 * `pressroom run [args]` (the daemon) as a child process with the binary's permission set and only `env`, its
 * output piped: for tests that read its log lines.
 */
export function spawnDaemon(
  cwd: string,
  env: Record<string, string>,
  args: string[] = [],
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: pressroomArgs(["run", ...args]),
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Ends a daemon from spawnDaemon if a test left it running, and the server behind it. */
export async function stopDaemon(
  child: Deno.ChildProcess,
  server: { close(): Promise<void> },
): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
  await child.stderr.cancel().catch(() => {});
  await child.stdout.cancel().catch(() => {});
  await server.close();
}

/** `pressroom run` (the daemon) as a child process with the binary's permission set, its output dropped: to kill. */
export function spawnRun(cwd: string, env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: pressroomArgs(["run"]),
    cwd,
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** A brief with all eight fields valid. */
export const VALID_BRIEF = {
  title: "How lighthouses work",
  audience: "Curious adults with no engineering background",
  angle: "Lighthouses are simple optics with a long history",
  key_points: "Fresnel lenses\nLight sources\nAutomation",
  keywords: "lighthouse, fresnel lens",
  tone: "warm and plain",
  target_words: "900",
  sources: "the request's notes",
};

/** How long one command of a test may run: a loop that never ends fails the test instead of hanging the suite. */
export const COMMAND_TIMEOUT_MS = 180_000;

/** Runs the program as a user does, with the binary's permission set and only the given environment. */
export async function runPressroom(cwd: string, args: string[], env: Record<string, string> = {}) {
  const timeout = AbortSignal.timeout(COMMAND_TIMEOUT_MS);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: pressroomArgs(args),
    cwd,
    env,
    clearEnv: true,
    signal: timeout,
  }).output();
  // Stopped by the bound (run exits 0 on the SIGTERM it gets): the test fails here, saying so.
  if (timeout.aborted) {
    throw new Error(`pressroom ${args.join(" ")} was still running after ${COMMAND_TIMEOUT_MS / 1000} s`);
  }
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}

// Log lines are checked field by field in the tests: typed loosely on purpose.
// deno-lint-ignore no-explicit-any
type LogLine = any;

/**
 * Reads a child's JSON log lines (stdout) as they come. Each call returns the lines since the last call,
 * up to and including the `count`th that matches `until`, or all that came within `ms`.
 */
export function jsonLineReader(child: Deno.ChildProcess) {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const queued: LogLine[] = [];
  return async (until: (line: LogLine) => boolean, ms: number, count = 1): Promise<LogLine[]> => {
    const lines: LogLine[] = [];
    let matched = 0;
    const deadline = Date.now() + ms;
    for (;;) {
      while (queued.length) {
        const line = queued.shift();
        lines.push(line);
        if (until(line) && ++matched === count) return lines;
      }
      if (Date.now() >= deadline) return lines;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const { value, done } = await Promise.race([
        reader.read(),
        new Promise<{ value: undefined; done: true }>((r) =>
          timer = setTimeout(() => r({ value: undefined, done: true }), deadline - Date.now())
        ),
      ]);
      clearTimeout(timer);
      if (done) return lines;
      buffer += value;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      queued.push(...parts.map((p) => JSON.parse(p)));
    }
  };
}

/**
 * Root ignores file modes, so a read-only folder needs a read-only mount: a bind mount remounted
 * read-only in a private mount namespace (`unshare -m`), which ends with the command it runs.
 */
export function readOnly(dir: string): string[] {
  return [
    "unshare",
    "-m",
    "--",
    "sh",
    "-c",
    'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"',
    "sh",
    dir,
  ];
}

/**
 * Why no folder can be mounted read-only here (a test that needs one is then ignored, and says so), or null.
 * Probed once per test file that asks, not by every file that imports these helpers.
 */
export async function readOnlyMountProblem(): Promise<string | null> {
  try {
    const dir = await tempDir();
    const probe = await new Deno.Command(readOnly(dir)[0], {
      args: [...readOnly(dir).slice(1), "sh", "-c", `! touch "${dir}/probe" 2>/dev/null`],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (probe.success) return null;
    const said = new TextDecoder().decode(probe.stderr).trim().split("\n")[0];
    return `\`unshare -m\` and a read-only bind mount failed: ${said || "no reason given"}`;
  } catch (error) {
    return `\`unshare\` cannot run: ${(error as Error).message}`;
  }
}
