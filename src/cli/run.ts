/**
 * `pressroom run [--once]`: takes requests from the inbox and drains ready work
 * on the real API. `--once` exits when nothing is ready (for timers and cron);
 * without it, it looks again every few seconds until SIGINT or SIGTERM.
 * @module
 */
import { ingestInbox } from "../pipeline/inbox.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import { drain, type DrainEvent } from "../pipeline/runner.ts";
import type { Parsed } from "./args.ts";
import { configFrom, type Io } from "./context.ts";
import { currentModels, pipelineContext } from "./pipeline_context.ts";

export const runOptions = { once: { type: "boolean" } } as const;

/** How long `run` sleeps between looks when nothing is ready. */
export const POLL_MS = 5_000;

export function describe(event: DrainEvent): string {
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
      return `${head} interrupted`;
  }
}

/** One pass: the inbox, then every ready stage. Returns the caps that stopped work, as lines. */
export async function pass(
  deps: PipelineDeps,
  models: Parameters<typeof ingestInbox>[2],
  io: Io,
): Promise<string[]> {
  const inbox = await ingestInbox(deps.dataDir, deps.store, models);
  for (const c of inbox.created) io.out(`${c.workflowId}  from inbox/${c.file}`);
  for (const r of inbox.rejected) io.err(`pressroom: inbox/${r.file} rejected: ${r.reason}`);
  const summary = await drain(deps, (event) => io.out(describe(event)));
  return [...summary.blocked].map(([agent, b]) =>
    `cap ${b.cap} stopped the ${agent}; it resets at ${new Date(b.until).toISOString()}`
  );
}

export async function runCommand(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) Deno.exit(130); // a second signal: leave now, the next start recovers
    io.err("pressroom: stopping after calls in flight finish (signal again to exit now)");
    controller.abort();
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  const context = await pipelineContext(loaded, io, { kind: "anthropic", signal: controller.signal });
  try {
    const models = currentModels(loaded);
    while (true) {
      const blocked = await pass(context.deps, models, io);
      if (parsed.values.once || controller.signal.aborted) {
        for (const line of blocked) io.out(line);
        return 0;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        controller.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      if (controller.signal.aborted) return 0;
    }
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    context.close();
  }
}
