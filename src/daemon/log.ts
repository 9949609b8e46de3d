/**
 * What `run` and `demo` report as they work: a line per event, as text on a
 * terminal (with a live progress line on stderr) or as one JSON object per line
 * for journald and other log collectors.
 * @module
 */
import { UserInputError } from "../errors.ts";
import type { SchedulerEvent } from "../scheduler/scheduler.ts";

export type LogFormat = "text" | "json";

/** Where the lines go: the command line's output (its Io), or a test's string sink. */
export interface LogSink {
  out(line: string): void;
  /** Redraws the live progress line (empty clears it); absent when stderr is not a terminal. */
  progress?(line: string): void;
  now: () => number;
}

/** The format `--log` names; without it, text on a terminal and JSON lines elsewhere. */
export function parseLogFormat(given: string | undefined, terminal: boolean | undefined): LogFormat {
  if (given === undefined) return terminal ? "text" : "json";
  if (given !== "text" && given !== "json") {
    throw new UserInputError(`--log must be text or json, not "${given}"`);
  }
  return given;
}

export interface Log {
  /** A stage ended. */
  stage(event: SchedulerEvent): void;
  /** Anything else worth a line: `what` is a short machine-readable name. */
  note(what: string, text: string, fields?: Record<string, unknown>): void;
  /** The live line on a terminal; ignored elsewhere. */
  progress(text: string): void;
  /** Clears the live line before the program exits. */
  done(): void;
}

export function stageText(event: SchedulerEvent): string {
  const r = event.result;
  const head = `${event.workflowId}  ${event.agent.padEnd(10)}`;
  switch (r.kind) {
    case "advanced":
      return `${head} done, next: ${r.to}`;
    case "published":
      return `${head} published ${r.path}`;
    case "flagged":
      return `${head} flagged for review: ${r.reason}`;
    case "stuck":
      return `${head} stuck: ${r.reason}`;
    case "waiting":
      return `${head} ${r.reason}`;
    case "interrupted":
      return `${head} interrupted, resumes at the next start`;
  }
}

export function createLog(io: LogSink, format: LogFormat, live: boolean): Log {
  let shown = false;
  const clear = () => {
    if (shown) io.progress?.("");
    shown = false;
  };
  const line = (text: string, json: Record<string, unknown>) => {
    if (format === "json") {
      io.out(JSON.stringify({ ts: new Date(io.now()).toISOString(), ...json }));
      return;
    }
    clear();
    io.out(text);
  };
  return {
    stage(event) {
      const { kind, ...rest } = event.result;
      line(stageText(event), {
        event: "stage",
        result: kind,
        workflow: event.workflowId,
        agent: event.agent,
        ...rest,
      });
    },
    note(what, text, fields = {}) {
      line(text, { event: what, message: text, ...fields });
    },
    progress(text) {
      if (format !== "text" || !live || !io.progress) return;
      io.progress(text);
      shown = true;
    },
    done: clear,
  };
}
