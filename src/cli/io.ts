/**
 * Where a command writes and what it reads from the process: kept apart from the config and storage so that
 * `--version` and `--help` load neither.
 * @module
 */

/** Where a command writes; tests pass string sinks. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Redraws the live progress line (empty clears it); absent when stderr is not a terminal. */
  progress?(line: string): void;
  /** Whether stdout is a terminal: text logs there, JSON lines elsewhere. */
  terminal?: boolean;
  env: { get(name: string): string | undefined };
  now: () => number;
  /**
   * Ends the process at once with `code`: a second signal to `run`. Only src/main.ts gives it (with
   * Deno.exit); without it, a second signal cuts calls in flight short instead.
   */
  exit?: (code: number) => never;
}

const encoder = new TextEncoder();

export const denoIo: Io = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  progress: Deno.stderr.isTerminal()
    ? (line) => Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`))
    : undefined,
  terminal: Deno.stdout.isTerminal(),
  env: Deno.env,
  now: Date.now,
};
