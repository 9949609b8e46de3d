/**
 * Wiring for the commands that run the pipeline: config, ledger, workflow
 * store, prompts and a model backend (the real API or the simulated model).
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import { clientFromEnv } from "../claude/client.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { Backend } from "../ledger/ledger.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import { type ModelPlan, modelPlan } from "../pipeline/canary.ts";
import { loadPrompts } from "../pipeline/prompts.ts";
import type { ReportQueries } from "../report/queries.ts";
import { openStorage } from "./context.ts";
import type { Io } from "./io.ts";

export interface PipelineContext {
  deps: PipelineDeps;
  /** The report queries on the same ledger, for the demo's summary. */
  reports: ReportQueries;
  close(): Promise<void>;
}

/** The model each agent uses for workflows created now, and the canaries they may draw instead. */
export function currentModels(loaded: LoadedConfig): ModelPlan {
  return modelPlan(loaded.config.agents);
}

export async function pipelineContext(
  loaded: LoadedConfig,
  io: Io,
  backend: { kind: Backend; client?: Anthropic; signal?: AbortSignal; stopping?: AbortSignal },
): Promise<PipelineContext> {
  const prompts = await loadPrompts(loaded.promptsDir);
  const client = backend.client ?? clientFromEnv(io.env);
  const storage = await openStorage(loaded, io);
  return {
    deps: {
      ledger: storage.ledger,
      store: storage.workflows(io.now),
      prices: loaded.prices,
      client,
      backend: backend.kind,
      config: loaded.config,
      prompts,
      dataDir: loaded.dataDir,
      now: io.now,
      signal: backend.signal,
      stopping: backend.stopping,
      warn: io.err,
    },
    reports: storage.reports,
    close: () => storage.close(),
  };
}
