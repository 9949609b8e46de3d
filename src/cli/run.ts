/**
 * `pressroom run [--once] [--force] [--log text|json]`: the daemon (src/daemon/). All six
 * agents in one process, each on its own cron wake cycle. The inbox and the
 * config file are looked at every `run.pollSeconds`; SIGHUP or a changed
 * config file reloads the config for new work. SIGTERM or SIGINT stops
 * claiming, lets calls in flight finish for up to `run.graceSeconds`, records
 * everything and exits 0; a second signal exits at once, and the next start
 * recovers what was in flight. `--once` drains ready work (waiting, up to
 * `run.onceWaitSeconds` in all, for retries and calls in flight that end soon)
 * and exits 0, also when a cap stopped it; its last line says what is left and why. When no call can
 * reach the API at all, `--once` exits 1 with one line naming the base URL, and `run` logs it and backs
 * off; either way the work stays as it was.
 * @module
 */
import { runDaemon } from "../daemon/daemon.ts";
import { createLog, parseLogFormat } from "../daemon/log.ts";
import type { Parsed } from "./args.ts";
import { configFrom } from "./context.ts";
import type { Io } from "./io.ts";
import { currentModels, pipelineContext } from "./pipeline_context.ts";

export const runOptions = {
  once: { type: "boolean" },
  force: { type: "boolean" },
  log: { type: "string" },
} as const;

export async function runCommand(parsed: Parsed, io: Io): Promise<number> {
  const format = parseLogFormat(parsed.values.log as string | undefined, io.terminal);
  const loaded = await configFrom(parsed, io);
  await runDaemon({
    loaded,
    load: () => configFrom(parsed, io),
    open: (loaded, signals) => pipelineContext(loaded, io, { kind: "anthropic", ...signals }),
    models: currentModels,
    log: createLog(io, format, true),
    once: parsed.values.once === true,
    force: parsed.values.force === true,
    now: io.now,
    err: io.err,
    exit: io.exit,
  });
  return 0;
}
