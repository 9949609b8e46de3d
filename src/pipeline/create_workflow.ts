/**
 * A new workflow: the row (models pinned) and its `request.json`, whichever way
 * the request came in (submit, the inbox, the demo).
 * @module
 */
import type { AgentId } from "../config/schema.ts";
import { mirrorWorkflow } from "../output/workflow_files.ts";
import type { WorkflowRequest } from "./state.ts";
import type { Workflow, WorkflowStore } from "./store.ts";

export async function createWorkflow(
  store: WorkflowStore,
  dataDir: string,
  request: WorkflowRequest,
  models: Record<AgentId, string>,
  inboxFile?: string,
): Promise<Workflow> {
  const workflow = store.create(request, models, inboxFile);
  await mirrorWorkflow(dataDir, workflow.id, { request });
  return workflow;
}
