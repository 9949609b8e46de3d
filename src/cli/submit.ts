/**
 * `pressroom submit <topic> [--notes F] [--source F…] [--json]`: a new workflow,
 * with each agent's model pinned from the config as it is now.
 * @module
 */
import { UsageError } from "../errors.ts";
import { requestFromArgs } from "../pipeline/request.ts";
import { createWorkflow } from "../pipeline/create_workflow.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openStorage } from "./context.ts";
import type { Io } from "./io.ts";
import { currentModels } from "./pipeline_context.ts";

export const submitOptions = {
  notes: { type: "string" },
  source: { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

export async function submitCommand(parsed: Parsed, io: Io): Promise<number> {
  if (parsed.positionals.length !== 1) {
    throw new UsageError('submit: give the topic as one argument, in quotes: pressroom submit "How to …"');
  }
  const loaded = await configFrom(parsed, io);
  const request = await requestFromArgs(
    parsed.positionals[0],
    parsed.values.notes as string | undefined,
    (parsed.values.source as string[] | undefined) ?? [],
  );
  const storage = await openStorage(loaded, io);
  try {
    const store = storage.workflows(io.now);
    const workflow = await createWorkflow(
      { store, ledger: storage.ledger, dataDir: loaded.dataDir },
      request,
      currentModels(loaded),
    );
    if (parsed.values.json) io.out(JSON.stringify({ id: workflow.id, models: workflow.models }));
    else io.out(`${workflow.id}  submitted: ${request.topic}`);
  } finally {
    await storage.close();
  }
  return 0;
}
