/**
 * `pressroom systemd [--timer] [--exec PATH]`: prints the unit files for this
 * install: a `run` service, or with `--timer` a oneshot `run --once` service
 * and its timer. Each file is preceded by the path it belongs at. A path the
 * service could not use (hidden by its sandbox, or one a unit file cannot
 * carry) is refused with exit 2 and where to put it instead.
 * @module
 */
import { basename, dirname, join } from "node:path";
import {
  DEFAULT_EXEC,
  ETC_CONFIG,
  onceUnit,
  type ServicePath,
  servicePathProblem,
  serviceUnit,
  STATE_DIR,
  timerUnit,
  type UnitOptions,
} from "../deploy/systemd.ts";
import { ConfigError, UsageError } from "../errors.ts";
import type { Parsed } from "./args.ts";
import { configFrom } from "./context.ts";
import type { Io } from "./io.ts";

export const systemdOptions = { timer: { type: "boolean" }, exec: { type: "string" } } as const;

export async function systemdCommand(parsed: Parsed, io: Io): Promise<number> {
  const execGiven = parsed.values.exec as string | undefined;
  // A compiled binary knows where it is; from source, say where the binary will be.
  const exec = execGiven ?? (Deno.build.standalone ? Deno.execPath() : DEFAULT_EXEC);
  await refuseUnusable(
    "exec",
    exec,
    (problem) => new UsageError(`${execGiven === undefined ? "this binary" : "--exec"}: ${problem}`),
  );
  const loaded = await configFrom(parsed, io);
  if (loaded.file !== null) {
    const where = parsed.values.config === undefined ? "the config in the current folder" : "--config";
    await refuseUnusable("config", loaded.file, (problem) => new UsageError(`${where}: ${problem}`));
    await refuseUnusable(
      "prompts",
      loaded.promptsDir,
      (problem) => new ConfigError(loaded.file!, "promptsDir", problem),
    );
  }
  // Under systemd the data lives in StateDirectory= unless --data says otherwise.
  const dataDir = parsed.values.data ? loaded.dataDir : STATE_DIR;
  await refuseUnusable("data", dataDir, (problem) => new UsageError(`--data: ${problem}`));
  const options: UnitOptions = {
    exec,
    config: loaded.file ?? ETC_CONFIG,
    dataDir,
    graceSeconds: loaded.config.run.graceSeconds,
  };
  const files: [string, string][] = parsed.values.timer
    ? [["/etc/systemd/system/pressroom-once.service", onceUnit(options)], [
      "/etc/systemd/system/pressroom.timer",
      timerUnit(options),
    ]]
    : [["/etc/systemd/system/pressroom.service", serviceUnit(options)]];
  for (const [path, text] of files) {
    io.out(`# ${path}`);
    io.out(text);
  }
  return 0;
}

/** Throws the error `refusal` makes when the service could not use `path`, symlinks followed. */
async function refuseUnusable(
  role: ServicePath,
  path: string,
  refusal: (problem: string) => Error,
): Promise<void> {
  const problem = servicePathProblem(role, path, await realPathOf(path));
  if (problem !== null) throw refusal(problem);
}

/** Where `path` leads with symlinks followed, as far as it exists (a data folder is made on first use). */
async function realPathOf(path: string): Promise<string> {
  let head = path;
  let tail = "";
  while (true) {
    try {
      return join(await Deno.realPath(head), tail);
    } catch {
      const parent = dirname(head);
      if (parent === head) return path;
      tail = join(basename(head), tail);
      head = parent;
    }
  }
}
