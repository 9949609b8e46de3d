/**
 * Config reload: SIGHUP, or a config file whose time or size changed, reloads the config before the
 * next pass. A new config reaches new work (pools, schedules, caps, the models of new workflows); one
 * that does not load is logged and the old one stays.
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import type { Log } from "./log.ts";

export interface ConfigReloaderOptions {
  /** The config the daemon started with. */
  loaded: LoadedConfig;
  /** Reads the config again, from the same file and folder. */
  load: () => Promise<LoadedConfig>;
  log: Log;
}

export interface ConfigReloader {
  /** The config in force. */
  current(): LoadedConfig;
  /** SIGHUP: reload at the next check. */
  request(): void;
  /** Before each pass: reloads into `deps` when asked or when the file changed. */
  check(deps: PipelineDeps): Promise<void>;
}

export async function configReloader(options: ConfigReloaderOptions): Promise<ConfigReloader> {
  let loaded = options.loaded;
  let requested = false;
  let seen = await fileStamp(loaded.file);
  return {
    current: () => loaded,
    request: () => requested = true,
    async check(deps) {
      const now = await fileStamp(loaded.file);
      if (!requested && now === seen) return;
      requested = false;
      seen = now;
      loaded = await reload(options, deps) ?? loaded;
    },
  };
}

/** What tells a changed file: its modification time and size ("missing" when gone, "" without a file). */
async function fileStamp(file: string | null): Promise<string> {
  if (!file) return "";
  try {
    const info = await Deno.stat(file);
    return `${info.mtime?.getTime()}:${info.size}`;
  } catch {
    return "missing";
  }
}

async function reload(options: ConfigReloaderOptions, deps: PipelineDeps): Promise<LoadedConfig | undefined> {
  try {
    const loaded = await options.load();
    deps.config = loaded.config;
    deps.prices = loaded.prices;
    // The next scheduler pass judges every cap hold against the new caps.
    deps.ledger.setCaps(loaded.config.caps);
    options.log.note("reloaded", `config reloaded from ${loaded.file ?? "defaults"}`);
    return loaded;
  } catch (error) {
    options.log.note("reload_failed", `config not reloaded, the old one stays: ${(error as Error).message}`);
    return undefined;
  }
}
