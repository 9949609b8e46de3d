/** The daemon's stop: first signal, grace timer, second signal; signals driven in process by a fake source. */
import { assert, assertEquals } from "../assert.ts";
import {
  listenForSignals,
  SECOND_SIGNAL_EXIT_CODE,
  type SignalSource,
  stopControl,
  type StopControlOptions,
  type Timers,
} from "../../src/daemon/stop_signals.ts";

/** Timers that run only when the test says so. */
function fakeTimers() {
  const set: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const timers: Timers = {
    set(fn, ms) {
      set.push({ fn, ms, cleared: false });
      return set.length - 1;
    },
    clear(handle) {
      if (typeof handle === "number") set[handle].cleared = true;
    },
  };
  return { timers, set };
}

/** What the control told, in order. */
function harness(overrides: Partial<StopControlOptions> = {}) {
  const told: string[] = [];
  const { timers, set } = fakeTimers();
  const control = stopControl({
    graceSeconds: () => 30,
    onStopping: (grace) => told.push(`stopping ${grace}`),
    onSecondSignal: () => told.push("second"),
    timers,
    ...overrides,
  });
  return { control, told, set };
}

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

Deno.test("the first signal stops claiming and gives calls in flight the grace, then cuts them off", () => {
  const { control, told, set } = harness();
  assert(!control.stopping.aborted && !control.hard.aborted);
  control.stop();
  assertEquals(told, ["stopping 30"]);
  assert(control.stopping.aborted, "no new work after the first signal");
  assert(!control.hard.aborted, "calls in flight go on during the grace");
  assertEquals(set.map((t) => t.ms), [30_000]);
  set[0].fn();
  assert(control.hard.aborted, "the grace ran out: calls in flight are aborted");
});

Deno.test("the grace is the one in force at the first signal", () => {
  let grace = 30;
  const { control, told, set } = harness({ graceSeconds: () => grace });
  grace = 5; // a reload before the signal
  control.stop();
  assertEquals(told, ["stopping 5"]);
  assertEquals(set.map((t) => t.ms), [5_000]);
});

Deno.test("a second signal is told, then exits at once with 130", () => {
  const exits: number[] = [];
  const { control, told } = harness({
    exit: (code) => {
      exits.push(code);
      throw new Exited(code);
    },
  });
  control.stop();
  let thrown: unknown;
  try {
    control.stop();
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof Exited, "exit ends the handler");
  assertEquals(exits, [SECOND_SIGNAL_EXIT_CODE]);
  assertEquals(SECOND_SIGNAL_EXIT_CODE, 130);
  assertEquals(told, ["stopping 30", "second"]);
});

Deno.test("without an exit, a second signal cuts calls in flight off at once and clears the grace timer", () => {
  const { control, told, set } = harness();
  control.stop();
  control.stop();
  assertEquals(told, ["stopping 30", "second"]);
  assert(control.hard.aborted);
  assertEquals(set.map((t) => t.cleared), [true]);
});

Deno.test("dispose clears the grace timer; before any signal it is harmless", () => {
  const idle = harness();
  idle.control.dispose();
  assertEquals(idle.set.length, 0);
  const { control, set } = harness();
  control.stop();
  control.dispose();
  assertEquals(set.map((t) => t.cleared), [true]);
  assert(!control.hard.aborted);
});

Deno.test("SIGINT and SIGTERM stop, SIGHUP reloads; the returned function stops listening to all three", () => {
  const listening = new Map<Deno.Signal, () => void>();
  const source: SignalSource = {
    add: (signal, handler) => listening.set(signal, handler),
    remove: (signal, handler) => {
      assert(listening.get(signal) === handler, `${signal}: the handler added is the one removed`);
      listening.delete(signal);
    },
  };
  const calls: string[] = [];
  const unlisten = listenForSignals(
    { stop: () => calls.push("stop"), reload: () => calls.push("reload") },
    source,
  );
  assertEquals([...listening.keys()].sort(), ["SIGHUP", "SIGINT", "SIGTERM"]);
  listening.get("SIGINT")!();
  listening.get("SIGTERM")!();
  listening.get("SIGHUP")!();
  assertEquals(calls, ["stop", "stop", "reload"]);
  unlisten();
  assertEquals(listening.size, 0);
});
