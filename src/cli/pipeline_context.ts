/**
 * Wiring for the commands that run the pipeline: config, ledger, workflow
 * store, prompts and a model backend (the real API or the simulated model).
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import { clientFromEnv } from "../claude/client.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { AgentId } from "../config/schema.ts";
import type { Backend } from "../ledger/ledger.ts";
import type { PipelineDeps } from "../pipeline/loop.ts";
import { loadPrompts } from "../pipeline/prompts.ts";
import { WorkflowStore } from "../pipeline/store.ts";
import { type Io, openLedger } from "./context.ts";

export interface PipelineContext {
  deps: PipelineDeps;
  close(): void;
}

/** The model each agent uses for workflows created now. */
export function currentModels(loaded: LoadedConfig): Record<AgentId, string> {
  return Object.fromEntries(Object.entries(loaded.config.agents).map(([a, s]) => [a, s.model])) as Record<
    AgentId,
    string
  >;
}

export async function pipelineContext(
  loaded: LoadedConfig,
  io: Io,
  backend: { kind: Backend; client?: Anthropic; signal?: AbortSignal; stopping?: AbortSignal },
): Promise<PipelineContext> {
  const prompts = await loadPrompts(loaded.promptsDir);
  const client = backend.client ?? clientFromEnv(io.env);
  const ledger = openLedger(loaded, io);
  const store = new WorkflowStore(ledger.db, io.now);
  return {
    deps: {
      ledger,
      store,
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
    close: () => ledger.close(),
  };
}
