/**
 * The command line: parse, dispatch, print, exit code. Nothing else lives here.
 * @module
 */
import { PressroomError, UsageError } from "../errors.ts";
import { isDatabaseBusy, LOCKED_BY_ANOTHER_PROGRAM } from "../db/sqlite.ts";
import { findCommand, type Options, parse, type Parsed } from "./args.ts";
import { denoIo, type Io } from "./io.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { VERSION } from "../version.ts";

/** What a command's module gives: its options, to parse with, and the command. */
interface Loaded {
  options: Options;
  run(parsed: Parsed, io: Io): Promise<number>;
}

/**
 * A command loads its module only when it runs (a dynamic import with a literal specifier, which
 * `deno compile` embeds), so that `status` or `caps` never load the SDK or the simulator.
 */
interface Command {
  summary: string;
  load(): Promise<Loaded>;
}

const COMMANDS: Record<string, Command> = {
  init: {
    summary: "write pressroom.json, its schema and the prompts to edit (never overwrites)",
    load: () => import("./init.ts").then((m) => ({ options: {}, run: m.initCommand })),
  },
  submit: {
    summary: "<topic> [--notes F] [--source F…]: start a workflow",
    load: () => import("./submit.ts").then((m) => ({ options: m.submitOptions, run: m.submitCommand })),
  },
  run: {
    summary: "[--once]: work the pipeline on the API (--once: drain ready work, exit)",
    load: () => import("./run.ts").then((m) => ({ options: m.runOptions, run: m.runCommand })),
  },
  status: {
    summary: "[workflow] [--json]: stage, turns, cost and why it waits",
    load: () => import("./status.ts").then((m) => ({ options: m.statusOptions, run: m.statusCommand })),
  },
  approve: {
    summary: "<workflow>: publish a flagged article (or a stuck one with every section written) as it stands",
    load: () => import("./review.ts").then((m) => ({ options: {}, run: m.approveCommand })),
  },
  demo: {
    summary: "[--workflows N] [--seed S]: run N workflows offline on the simulated model",
    load: () => import("./demo.ts").then((m) => ({ options: m.demoOptions, run: m.demoCommand })),
  },
  retry: {
    summary: "<workflow> [--stage S] [--model AGENT=MODEL...]: go on, or start stage S over; re-pin models",
    load: () => import("./review.ts").then((m) => ({ options: m.retryOptions, run: m.retryCommand })),
  },
  report: {
    summary: "[--since 7d] [--agent A] [--json] [--html FILE]: cost per completion, accuracy, cache and caps",
    load: () => import("./report.ts").then((m) => ({ options: m.reportOptions, run: m.reportCommand })),
  },
  prune: {
    summary: "--older-than 30d [--dry-run]: remove the transcripts of workflows published before then",
    load: () => import("./prune.ts").then((m) => ({ options: m.pruneOptions, run: m.pruneCommand })),
  },
  project: {
    summary: "--agent A --model M [--days 7] [--json]: what a model swap would cost, against every cap",
    load: () => import("./project.ts").then((m) => ({ options: m.projectOptions, run: m.projectCommand })),
  },
  models: {
    summary: "[--json]: each agent's model now, pinned by workflows in flight, and the swap history",
    load: () => import("./models.ts").then((m) => ({ options: m.modelsOptions, run: m.modelsCommand })),
  },
  rollout: {
    summary: "[agent] [--json]: canary arms side by side, with intervals and a verdict; " +
      "rollout promote|stop <agent>: make the canary the agent's model, or end it",
    load: () => import("./rollout.ts").then((m) => ({ options: m.rolloutOptions, run: m.rolloutCommand })),
  },
  ledger: {
    summary: "migrate: bring the ledger's schema up to date; copy --to postgres://… [--ca FILE]: " +
      "this data folder's ledger into a shared one (rerunnable)",
    load: () => import("./ledger.ts").then((m) => ({ options: m.ledgerOptions, run: m.ledgerCommand })),
  },
  caps: {
    summary: "each cap: limit, spent today, reserved, left, reset time [--json]",
    load: () => import("./caps.ts").then((m) => ({ options: m.capsOptions, run: m.capsCommand })),
  },
  prices: {
    summary: "[--json]: prices in force, built-in beside config, with sources; " +
      "prices import FILE [--write]: LiteLLM price map into config prices (dry run without --write)",
    load: () => import("./prices.ts").then((m) => ({ options: m.pricesOptions, run: m.pricesCommand })),
  },
  doctor: {
    summary:
      "check config, models (and workflows pinned to retired ones), ledger, API key and that the API answers",
    load: () => import("./doctor.ts").then((m) => ({ options: {}, run: m.doctorCommand })),
  },
  systemd: {
    summary: "[--timer] [--exec PATH]: print systemd unit files for this install",
    load: () => import("./systemd.ts").then((m) => ({ options: m.systemdOptions, run: m.systemdCommand })),
  },
  schema: {
    summary: "print the JSON Schema of pressroom.json (for editors)",
    load: () =>
      import("../config/schema.ts").then((m) => ({
        options: {},
        run: (_parsed, io) => {
          io.out(JSON.stringify(m.configJsonSchema(), null, 2));
          return Promise.resolve(0);
        },
      })),
  },
};

const USAGE = [
  "usage: pressroom <command> [options]   (global: --config FILE, --data DIR; pressroom --version)",
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
].join("\n");

export async function main(args: string[], io: Io = denoIo): Promise<number> {
  try {
    const { command, rest } = findCommand(args);
    if (command === undefined) {
      if (rest.includes("--version") || rest.includes("-V")) {
        io.out(versionLine());
        return 0;
      }
      if (rest.includes("--help") || rest.includes("-h")) {
        io.out(USAGE);
        return 0;
      }
      throw new UsageError("no command given; run `pressroom --help`");
    }
    const spec = COMMANDS[command];
    if (!spec) throw new UsageError(`unknown command "${command}"; run \`pressroom --help\``);
    const loaded = await spec.load();
    const parsed = parse(command, rest, loaded.options);
    if (parsed.values.help) {
      io.out(`pressroom ${command}: ${spec.summary}`);
      return 0;
    }
    return await loaded.run(parsed, io);
  } catch (error) {
    if (error instanceof PressroomError) {
      io.err(`pressroom: ${oneLine(error.message)}`);
      return error.exitCode;
    }
    // The machine, not the program, is at fault (a read-only or full disk, a folder deleted, a ledger held
    // by another program): the message names the file, and a stack trace would only hide it.
    if (isDatabaseBusy(error)) {
      io.err(`pressroom: the ledger (pressroom.db in the data folder) is ${LOCKED_BY_ANOTHER_PROGRAM}`);
      return 1;
    }
    if (isOsError(error)) {
      io.err(`pressroom: ${oneLine(error.message)}`);
      return 1;
    }
    io.err(
      `pressroom: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`,
    );
    return 1;
  }
}

/** What a bug report needs: the program's version, the ledger schema it writes, and the Deno it runs on. */
export function versionLine(): string {
  return `pressroom ${VERSION} (ledger schema ${MIGRATIONS.length}, deno ${Deno.version.deno})`;
}

/** An error from the operating system: Deno gives these an errno name as `code` (EROFS, ENOSPC, ENOENT…). */
function isOsError(error: unknown): error is Error {
  return error instanceof Error && /^E[A-Z0-9]+$/.test(String((error as { code?: unknown }).code));
}

/**
 * Messages quote what the user gave (a file's first bytes, a model name, a field's key): escape line
 * breaks, other control characters and bidi overrides, so an error is one line and reads as written.
 */
export function oneLine(message: string): string {
  return message.replace(
    UNPRINTABLE,
    (c) => c === "\n" ? "\\n" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
