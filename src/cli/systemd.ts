/**
 * `pressroom systemd [--timer] [--exec PATH]`: prints the unit files for this
 * install: a `run` service, or with `--timer` a oneshot `run --once` service
 * and its timer. Each file is preceded by the path it belongs at.
 * @module
 */
import { onceUnit, serviceUnit, STATE_DIR, timerUnit, type UnitOptions } from "../deploy/systemd.ts";
import type { Parsed } from "./args.ts";
import { configFrom, type Io } from "./context.ts";

export const systemdOptions = { timer: { type: "boolean" }, exec: { type: "string" } } as const;

export async function systemdCommand(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const options: UnitOptions = {
    // A compiled binary knows where it is; from source, say where the binary will be.
    exec: (parsed.values.exec as string | undefined) ??
      (Deno.build.standalone ? Deno.execPath() : "/usr/local/bin/pressroom"),
    config: loaded.file ?? "/etc/pressroom/pressroom.json",
    // Under systemd the data lives in StateDirectory= unless --data says otherwise.
    dataDir: parsed.values.data ? loaded.dataDir : STATE_DIR,
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
