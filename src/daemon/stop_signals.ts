/**
 * How the daemon stops: SIGTERM or SIGINT stops claiming work and starts the grace timer, after which
 * calls still in flight are aborted; a second signal exits at once (the next start recovers what was
 * in flight). SIGHUP asks for a config reload. The signal source, the timer and the exit are injected,
 * so tests drive signals in process.
 * @module
 */

/** Where signals come from: Deno's listeners, or a test's fake. */
export interface SignalSource {
  add(signal: Deno.Signal, handler: () => void): void;
  remove(signal: Deno.Signal, handler: () => void): void;
}

export const denoSignals: SignalSource = {
  add: (signal, handler) => Deno.addSignalListener(signal, handler),
  remove: (signal, handler) => Deno.removeSignalListener(signal, handler),
};

/** The exit code of a process ended by a second signal, as a shell reports an interrupt. */
export const SECOND_SIGNAL_EXIT_CODE = 130;

export interface StopControlOptions {
  /** The grace in force when the first signal comes (a reload may have changed it). */
  graceSeconds: () => number;
  /** Told at the first signal, with the grace it gives. */
  onStopping: (graceSeconds: number) => void;
  /** Told at the second signal, just before `exit`. */
  onSecondSignal: () => void;
  /** Ends the process at once. Absent (in process, as in tests): the second signal aborts calls in flight now. */
  exit?: (code: number) => never;
  /** The grace timer: the real one unless a test drives it. */
  timers?: Timers;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};

export interface StopControl {
  /** Aborted at the first signal: claim no new work. */
  readonly stopping: AbortSignal;
  /** Aborted when the grace is over: calls still in flight are cut off. */
  readonly hard: AbortSignal;
  /** A SIGTERM or SIGINT. */
  stop(): void;
  /** Clears the grace timer: the daemon ended before it ran out. */
  dispose(): void;
}

export function stopControl(options: StopControlOptions): StopControl {
  const timers = options.timers ?? realTimers;
  const stopping = new AbortController();
  const hard = new AbortController();
  let graceTimer: unknown;
  return {
    stopping: stopping.signal,
    hard: hard.signal,
    stop() {
      if (stopping.signal.aborted) {
        options.onSecondSignal();
        if (options.exit) options.exit(SECOND_SIGNAL_EXIT_CODE);
        timers.clear(graceTimer);
        hard.abort();
        return;
      }
      const grace = options.graceSeconds();
      options.onStopping(grace);
      stopping.abort();
      graceTimer = timers.set(() => hard.abort(), grace * 1000);
    },
    dispose: () => timers.clear(graceTimer),
  };
}

/** Listens for the signals that stop (SIGINT, SIGTERM) and reload (SIGHUP); returns the way to stop listening. */
export function listenForSignals(
  handlers: { stop: () => void; reload: () => void },
  source: SignalSource = denoSignals,
): () => void {
  const listeners: [Deno.Signal, () => void][] = [
    ["SIGINT", handlers.stop],
    ["SIGTERM", handlers.stop],
    ["SIGHUP", handlers.reload],
  ];
  for (const [signal, handler] of listeners) source.add(signal, handler);
  return () => {
    for (const [signal, handler] of listeners) source.remove(signal, handler);
  };
}
