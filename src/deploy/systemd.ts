/**
 * systemd unit files for this install, as text. Pure: the caller passes the
 * binary, the config and the data folder.
 * @module
 */

/**
 * What the unit functions are given: absolute paths that `servicePathProblem` passed (a path it refuses
 * would make a unit systemd rejects, or a service that cannot see its files).
 */
export interface UnitOptions {
  /** The absolute path of the pressroom binary. */
  exec: string;
  /** The absolute path of pressroom.json. */
  config: string;
  /** The data folder; under systemd `StateDirectory=pressroom` gives /var/lib/pressroom. */
  dataDir: string;
  /** Seconds `run` lets calls in flight finish after SIGTERM. */
  graceSeconds: number;
  /** How often the timer starts `run --once`, as an OnCalendar= expression. */
  onCalendar?: string;
}

export const STATE_DIR = "/var/lib/pressroom";
export const ENV_FILE = "/etc/pressroom/env";
/** Where the README puts the config, and so where the service looks when no config file was found. */
export const ETC_CONFIG = "/etc/pressroom/pressroom.json";

/** Where the binary goes when nothing says otherwise: the path the README installs it at. */
export const DEFAULT_EXEC = "/usr/local/bin/pressroom";

/** Characters an item may hold and stay unquoted (no `%`: systemd expands specifiers; no `$`: variables). */
const BARE = /^[A-Za-z0-9_@+=:,./-]+$/;

/**
 * One item of a setting systemd unquotes (`ExecStart=`, `ReadWritePaths=`; systemd.syntax(7), "Quoting"):
 * anything but plain characters goes in double quotes with `\` and `"` escaped, and `%` is doubled
 * because specifiers are expanded inside quotes too.
 */
export function unitWord(text: string): string {
  return BARE.test(text) ? text : `"${text.replace(/["\\]/g, "\\$&").replace(/%/g, "%%")}"`;
}

/** An `ExecStart=` argument: `$` is doubled too, since systemd expands `$VAR` and `${VAR}` in arguments. */
export function execArg(text: string): string {
  return unitWord(text.replace(/\$/g, () => "$$"));
}

/** What every Pressroom service shares: where it runs, what it may touch, where the key comes from. */
function serviceBody(options: UnitOptions, args: string[]): string[] {
  const rw = options.dataDir === STATE_DIR ? [] : [`ReadWritePaths=${unitWord(options.dataDir)}`];
  // The executable is not searched for variables (a `$` in it stays as written), its arguments are.
  const argv = [...args, "--config", options.config, "--data", options.dataDir].map(execArg);
  return [
    `ExecStart=${[unitWord(options.exec), ...argv].join(" ")}`,
    "StateDirectory=pressroom",
    "CacheDirectory=pressroom",
    `WorkingDirectory=${STATE_DIR}`,
    "# ANTHROPIC_API_KEY=sk-ant-… (mode 0600, owned by root)",
    `EnvironmentFile=${ENV_FILE}`,
    // The binary's V8 code cache and Deno's cache go where systemd lets it write.
    "Environment=DENO_DIR=/var/cache/pressroom/deno",
    "Environment=NO_COLOR=1",
    "DynamicUser=yes",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    ...rw,
  ];
}

/** The long-running service: `run`, restarted on failure. */
export function serviceUnit(options: UnitOptions): string {
  return [
    "[Unit]",
    "Description=Pressroom: six-agent content pipeline on Claude",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=exec",
    ...serviceBody(options, ["run", "--log", "json"]),
    "Restart=on-failure",
    // Exit 2 is bad input (a config error, a missing key): starting again would only fail again.
    "RestartPreventExitStatus=2",
    "RestartSec=10",
    "KillSignal=SIGTERM",
    // run gets its grace period, plus time to record what happened.
    `TimeoutStopSec=${Math.ceil(options.graceSeconds) + 15}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The oneshot service a timer starts: `run --once`. */
export function onceUnit(options: UnitOptions): string {
  return [
    "[Unit]",
    "Description=Pressroom: drain ready work once",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    ...serviceBody(options, ["run", "--once", "--log", "json"]),
    "",
  ].join("\n");
}

export function timerUnit(options: UnitOptions): string {
  return [
    "[Unit]",
    "Description=Pressroom: drain ready work on a schedule",
    "",
    "[Timer]",
    `OnCalendar=${options.onCalendar ?? "*:0/5"}`,
    // A run missed while the machine was off happens at the next boot.
    "Persistent=true",
    "Unit=pressroom-once.service",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** The folders the service's sandbox hides, and what hides each. */
const HIDDEN_FOLDERS: readonly { folder: string; by: string }[] = [
  { folder: "/home", by: "ProtectHome=yes hides it" },
  { folder: "/root", by: "ProtectHome=yes hides it" },
  { folder: "/run/user", by: "ProtectHome=yes hides it" },
  { folder: "/tmp", by: "PrivateTmp=yes gives the service its own, empty /tmp" },
  { folder: "/var/tmp", by: "PrivateTmp=yes gives the service its own, empty /var/tmp" },
];

/** The hidden folder an absolute, normalised path lies in, if any. */
export function hiddenFolder(path: string): { folder: string; by: string } | undefined {
  return HIDDEN_FOLDERS.find(({ folder }) => path === folder || path.startsWith(`${folder}/`));
}

/** The paths a unit names, by what the service does with them. */
export type ServicePath = "exec" | "config" | "prompts" | "data";

/** Where each belongs instead, as the end of a refusal. */
const PUT_IT: Record<ServicePath, string> = {
  exec: `install the binary (sudo install -m 0755 pressroom ${DEFAULT_EXEC}) and pass --exec ${DEFAULT_EXEC}`,
  config:
    `put the config in /etc/pressroom: copy it (with its prompts folder) there and pass --config ${ETC_CONFIG}`,
  prompts: 'move the prompts to /etc/pressroom/prompts and set "promptsDir": "/etc/pressroom/prompts"',
  data: `leave out --data to keep the data in ${STATE_DIR} (StateDirectory=pressroom), ` +
    "or give a folder such as /srv/pressroom",
};

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why the service could not use `path` in its `role`, as the rest of one error line, or null. `realPath` is
 * where the path leads once symlinks are followed: the sandbox hides the target, whatever the link's name.
 */
export function servicePathProblem(role: ServicePath, path: string, realPath = path): string | null {
  if (!path.startsWith("/")) return `${path} is not an absolute path; ${PUT_IT[role]}`;
  // A unit file is read line by line, and systemd refuses control characters in a command.
  if (CONTROL.test(path)) return `${path} holds a control character, which a unit file cannot carry`;
  if (role === "exec" && /["'\\]/.test(path)) {
    return `${path}: systemd refuses quotes and backslashes in the executable's path; ${PUT_IT.exec}`;
  }
  for (const candidate of new Set([path, realPath])) {
    const hidden = hiddenFolder(candidate);
    if (!hidden) continue;
    const what = candidate === path ? path : `${path} leads to ${candidate}, which`;
    return `${what} is under ${hidden.folder}, where the service cannot see it (${hidden.by}); ${
      PUT_IT[role]
    }`;
  }
  return null;
}
