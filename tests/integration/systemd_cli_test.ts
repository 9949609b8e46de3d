/**
 * `pressroom systemd` as an operator meets it: the unit files it prints, as systemd-analyze verify reads
 * them, and the paths it refuses because the service could not use them (one line, exit 2).
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runPressroom, tempDir } from "../helpers.ts";

const hasSystemd = (() => {
  try {
    return new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync()
      .success;
  } catch {
    return false;
  }
})();
if (!hasSystemd) {
  console.warn("systemd_cli_test: skipping the verify tests: systemd-analyze is not installed");
}

/**
 * A folder for files the service must be able to see (not under /tmp, /var/tmp, /home, /root or /run/user)
 * that any user may write: /run/lock, mode 1777 on systemd systems. (Deno does not open /dev/shm without -A.)
 */
const VISIBLE = (() => {
  try {
    Deno.removeSync(Deno.makeTempDirSync({ dir: "/run/lock", prefix: "pressroom-test-" }));
    return "/run/lock";
  } catch {
    return null;
  }
})();
if (!VISIBLE) {
  console.warn("systemd_cli_test: skipping the tests with files outside /tmp: /run/lock is not writable");
}

/** A binary outside the folders the sandbox hides: verify checks that ExecStart='s binary can run. */
const EXEC = "/usr/bin/true";

async function verify(dir: string, files: string[]): Promise<{ ok: boolean; text: string }> {
  const out = await new Deno.Command("systemd-analyze", { args: ["verify", "--man=no", ...files], cwd: dir })
    .output();
  return {
    ok: out.success,
    text: new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout),
  };
}

/** Splits `pressroom systemd` output into its files, by the `# /etc/systemd/system/<name>` lines. */
async function writeUnits(dir: string, printed: string): Promise<string[]> {
  const names: string[] = [];
  for (const part of printed.split(/^# \/etc\/systemd\/system\//m).slice(1)) {
    const [name, ...rest] = part.split("\n");
    await Deno.writeTextFile(`${dir}/${name}`, rest.join("\n"));
    names.push(name);
  }
  return names;
}

/** Runs `pressroom systemd ARGS` in `cwd`, writes the units it prints there and has systemd verify them. */
async function verifiedUnits(cwd: string, args: string[]) {
  const printed = await runPressroom(cwd, ["systemd", ...args]);
  assertEquals([printed.code, printed.err], [0, ""]);
  const names = await writeUnits(cwd, printed.out);
  return { out: printed.out, names, verified: await verify(cwd, names) };
}

function execStart(out: string): string {
  return out.match(/^ExecStart=.*$/m)![0];
}

/** `pressroom systemd ARGS` ends with exit 2, nothing on stdout and this one line on stderr. */
async function assertRefused(cwd: string, args: string[], line: string): Promise<void> {
  const run = await runPressroom(cwd, ["systemd", ...args]);
  assertEquals({ code: run.code, out: run.out, err: run.err }, {
    code: 2,
    out: "",
    err: `pressroom: ${line}\n`,
  });
}

Deno.test({
  name:
    "systemd prints a service and, with --timer, a oneshot service and timer that systemd-analyze accepts",
  ignore: !hasSystemd,
  async fn() {
    const cwd = await tempDir();
    const service = await verifiedUnits(cwd, ["--exec", EXEC]);
    for (
      const line of [
        "Type=exec",
        "Restart=on-failure",
        "RestartPreventExitStatus=2",
        "StateDirectory=pressroom",
        "EnvironmentFile=/etc/pressroom/env",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "Environment=DENO_DIR=/var/cache/pressroom/deno",
        "TimeoutStopSec=45",
      ]
    ) assert(service.out.includes(`\n${line}\n`), `missing ${line}`);
    assertEquals(
      execStart(service.out),
      `ExecStart=${EXEC} run --log json --config /etc/pressroom/pressroom.json --data /var/lib/pressroom`,
    );
    assertEquals(service.names, ["pressroom.service"]);
    assertEquals(service.verified, { ok: true, text: "" });

    const timer = await verifiedUnits(cwd, ["--timer", "--exec", EXEC, "--data", "/srv/press"]);
    assertEquals(timer.names, ["pressroom-once.service", "pressroom.timer"]);
    assertMatch(timer.out, /^Type=oneshot$/m);
    assertMatch(timer.out, /^ExecStart=\S+ run --once --log json .*--data \/srv\/press$/m);
    assertMatch(timer.out, /^ReadWritePaths=\/srv\/press$/m);
    assertMatch(timer.out, /^Persistent=true$/m);
    assertEquals(timer.verified, { ok: true, text: "" });

    // The check can fail: a unit with a bad type and a missing binary does not pass.
    await Deno.writeTextFile(
      `${cwd}/bad.service`,
      "[Service]\nType=bogus\nExecStart=/nonexistent/pressroom run\n",
    );
    assertEquals((await verify(cwd, ["bad.service"])).ok, false);
  },
});

Deno.test({
  name: "systemd --data quotes and escapes the folder by systemd's rules: spaces, %, quotes, $ and unicode " +
    "reach systemd whole, and systemd-analyze verify has nothing to say",
  ignore: !hasSystemd,
  async fn() {
    const cwd = await tempDir();
    // [--data, as ReadWritePaths= gives it, as ExecStart= gives it]: `$` is a variable only in ExecStart=.
    const cases = [
      ["/srv/press data", '"/srv/press data"', '"/srv/press data"'],
      ["/srv/press/100%z", '"/srv/press/100%%z"', '"/srv/press/100%%z"'],
      ["/srv/presse/éditions ü", '"/srv/presse/éditions ü"', '"/srv/presse/éditions ü"'],
      ['/srv/a "b" \\c $HOME', '"/srv/a \\"b\\" \\\\c $HOME"', '"/srv/a \\"b\\" \\\\c $$HOME"'],
    ];
    for (const [data, listed, argument] of cases) {
      const units = await verifiedUnits(cwd, ["--exec", EXEC, "--data", data]);
      assert(units.out.includes(`\nReadWritePaths=${listed}\n`), units.out);
      assertEquals(
        execStart(units.out),
        `ExecStart=${EXEC} run --log json --config /etc/pressroom/pressroom.json --data ${argument}`,
      );
      // An unquoted space leaves "data" behind as a relative path, an undoubled % a specifier: both warn.
      assertEquals(units.verified, { ok: true, text: "" }, data);
    }
  },
});

Deno.test({
  name: "systemd --exec: systemd-analyze reads a binary's path with spaces, %, $ and unicode as given",
  ignore: !hasSystemd,
  async fn() {
    const cwd = await tempDir();
    // No such binary: verify then names the path it read, which is what this test wants to see.
    const exec = "/opt/press room/100%z/prés $HOME/pressroom";
    const units = await verifiedUnits(cwd, ["--exec", exec]);
    assertMatch(execStart(units.out), /^ExecStart="\/opt\/press room\/100%%z\/prés \$HOME\/pressroom" run /);
    assertEquals(units.verified.ok, false);
    assert(units.verified.text.includes(`Command ${exec} is not executable`), units.verified.text);
  },
});

Deno.test({
  name:
    "systemd --config and --exec in a folder with spaces, % and unicode: systemd-analyze verify accepts " +
    "the units, and the binary and config paths reach systemd whole",
  ignore: !hasSystemd || !VISIBLE,
  async fn() {
    const base = await Deno.makeTempDir({ dir: VISIBLE!, prefix: "pressroom-test-" });
    try {
      const folder = `${base}/press room 100%z ü`;
      await Deno.mkdir(folder);
      await Deno.writeTextFile(`${folder}/pressroom.json`, "{}");
      await Deno.copyFile(EXEC, `${folder}/pressroom`);
      await Deno.chmod(`${folder}/pressroom`, 0o755);
      const escaped = `"${folder.replaceAll("%", "%%")}`;
      const units = await verifiedUnits(base, [
        "--exec",
        `${folder}/pressroom`,
        "--config",
        `${folder}/pressroom.json`,
      ]);
      assertEquals(
        execStart(units.out),
        `ExecStart=${escaped}/pressroom" run --log json --config ${escaped}/pressroom.json" ` +
          "--data /var/lib/pressroom",
      );
      assertEquals(units.verified, { ok: true, text: "" });
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("systemd refuses a config, data folder or binary where the sandbox hides it, and says where to put it", async () => {
  // The operator: a config made in a folder under /tmp, and `pressroom systemd` run from there.
  const cwd = await Deno.makeTempDir({ dir: "/tmp", prefix: "pressroom-test-" });
  await Deno.writeTextFile(`${cwd}/pressroom.json`, "{}");
  const config = "put the config in /etc/pressroom: copy it (with its prompts folder) there and pass " +
    "--config /etc/pressroom/pressroom.json";
  await assertRefused(
    cwd,
    ["--exec", EXEC],
    `the config in the current folder: ${cwd}/pressroom.json is under /tmp, where the service cannot see it ` +
      `(PrivateTmp=yes gives the service its own, empty /tmp); ${config}`,
  );
  await assertRefused(
    "/",
    ["--exec", EXEC, "--config", `${cwd}/pressroom.json`],
    `--config: ${cwd}/pressroom.json is under /tmp, where the service cannot see it ` +
      `(PrivateTmp=yes gives the service its own, empty /tmp); ${config}`,
  );
  const data = "leave out --data to keep the data in /var/lib/pressroom (StateDirectory=pressroom), " +
    "or give a folder such as /srv/pressroom";
  const home = "where the service cannot see it (ProtectHome=yes hides it)";
  for (
    const [folder, path] of [
      ["/home", "/home/pressroom-test-none/press data"],
      ["/root", "/root/pressroom-test-none"],
      ["/run/user", "/run/user/1000/pressroom"],
    ]
  ) {
    await assertRefused(
      "/",
      ["--exec", EXEC, "--data", path],
      `--data: ${path} is under ${folder}, ${home}; ${data}`,
    );
  }
  await assertRefused(
    "/",
    ["--exec", EXEC, "--data", "/var/tmp/pressroom-test-none"],
    "--data: /var/tmp/pressroom-test-none is under /var/tmp, where the service cannot see it " +
      `(PrivateTmp=yes gives the service its own, empty /var/tmp); ${data}`,
  );
  const install = "install the binary (sudo install -m 0755 pressroom /usr/local/bin/pressroom) and pass " +
    "--exec /usr/local/bin/pressroom";
  await assertRefused(
    "/",
    ["--exec", "/home/pressroom-test-none/pressroom"],
    `--exec: /home/pressroom-test-none/pressroom is under /home, ${home}; ${install}`,
  );
  await assertRefused(
    "/",
    ["--exec", `${cwd}/pressroom`],
    `--exec: ${cwd}/pressroom is under /tmp, where the service cannot see it ` +
      `(PrivateTmp=yes gives the service its own, empty /tmp); ${install}`,
  );
  await Deno.remove(cwd, { recursive: true });
});

const HOME = Deno.env.get("HOME") ?? "";
const homeHidden = /^\/(home|root)(\/|$)/.test(HOME);
if (!homeHidden) console.warn(`systemd_cli_test: skipping the home folder test: HOME (${HOME}) is elsewhere`);

Deno.test({
  name: "systemd run in a home folder refuses the config there, and says where to put it",
  ignore: !homeHidden,
  async fn() {
    const cwd = await Deno.makeTempDir({ dir: await Deno.realPath(HOME), prefix: "pressroom-test-" });
    try {
      await Deno.writeTextFile(`${cwd}/pressroom.json`, "{}");
      const folder = cwd.startsWith("/root") ? "/root" : "/home";
      await assertRefused(
        cwd,
        ["--exec", EXEC],
        `the config in the current folder: ${cwd}/pressroom.json is under ${folder}, where the service ` +
          "cannot see it (ProtectHome=yes hides it); put the config in /etc/pressroom: copy it (with its " +
          "prompts folder) there and pass --config /etc/pressroom/pressroom.json",
      );
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});

Deno.test({
  name: "systemd refuses a data folder whose symlink leads under /tmp, and a promptsDir under /home",
  ignore: !VISIBLE,
  async fn() {
    const base = await Deno.makeTempDir({ dir: VISIBLE!, prefix: "pressroom-test-" });
    const target = await Deno.makeTempDir({ dir: "/tmp", prefix: "pressroom-test-" });
    try {
      await Deno.symlink(target, `${base}/data`);
      await assertRefused(
        base,
        ["--exec", EXEC, "--data", `${base}/data`],
        `--data: ${base}/data leads to ${target}, which is under /tmp, where the service cannot see it ` +
          "(PrivateTmp=yes gives the service its own, empty /tmp); leave out --data to keep the data in " +
          "/var/lib/pressroom (StateDirectory=pressroom), or give a folder such as /srv/pressroom",
      );
      await Deno.writeTextFile(
        `${base}/pressroom.json`,
        JSON.stringify({ promptsDir: "/home/pressroom-test-none/prompts" }),
      );
      await assertRefused(
        base,
        ["--exec", EXEC],
        `${base}/pressroom.json: promptsDir: /home/pressroom-test-none/prompts is under /home, where the ` +
          "service cannot see it (ProtectHome=yes hides it); move the prompts to /etc/pressroom/prompts " +
          'and set "promptsDir": "/etc/pressroom/prompts"',
      );
    } finally {
      await Deno.remove(base, { recursive: true });
      await Deno.remove(target, { recursive: true });
    }
  },
});

Deno.test("systemd refuses paths a unit file cannot carry: a relative --exec, quotes in --exec, a newline in --data", async () => {
  const install = "install the binary (sudo install -m 0755 pressroom /usr/local/bin/pressroom) and pass " +
    "--exec /usr/local/bin/pressroom";
  await assertRefused("/", ["--exec", "pressroom"], `--exec: pressroom is not an absolute path; ${install}`);
  await assertRefused(
    "/",
    ["--exec", "/opt/it's/pressroom"],
    `--exec: /opt/it's/pressroom: systemd refuses quotes and backslashes in the executable's path; ${install}`,
  );
  await assertRefused(
    "/",
    ["--exec", EXEC, "--data", "/srv/press\ndata"],
    "--data: /srv/press\\ndata holds a control character, which a unit file cannot carry",
  );
});

Deno.test("a service whose start fails on bad input exits 2, and its unit does not restart on 2", async () => {
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/pressroom.json`, JSON.stringify({ caps: { dailyUsd: "twenty" } }));
  const start = await runPressroom(cwd, ["run", "--once", "--config", `${cwd}/pressroom.json`], {
    ANTHROPIC_API_KEY: "sk-ant-test-0123456789",
  });
  assertEquals(start.code, 2, start.err);
  assertMatch(start.err, /^pressroom: .*pressroom\.json: caps\.dailyUsd: /);
  const unit = await runPressroom("/", ["systemd", "--exec", EXEC]);
  assertEquals(unit.code, 0, unit.err);
  assertEquals(
    unit.out.match(/^Restart.*$/gm),
    ["Restart=on-failure", "RestartPreventExitStatus=2", "RestartSec=10"],
  );
});
