/**
 * systemd unit files for this install, as text. Pure: the caller passes the
 * binary, the config and the data folder.
 * @module
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

function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)
    ? arg
    : `"${arg.replace(/(["\\$])/g, "\\$1").replace(/%/g, "%%")}"`;
}

/** What every Pressroom service shares: where it runs, what it may touch, where the key comes from. */
function serviceBody(options: UnitOptions, args: string[]): string[] {
  const rw = options.dataDir === STATE_DIR ? [] : [`ReadWritePaths=${options.dataDir}`];
  return [
    `ExecStart=${
      [options.exec, ...args, "--config", options.config, "--data", options.dataDir].map(quote).join(" ")
    }`,
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
