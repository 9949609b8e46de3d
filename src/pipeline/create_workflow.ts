/**
 * A new workflow: the row (models pinned, canary arms drawn) and its `request.json`, whichever way
 * the request came in (submit, the inbox, the demo); both or neither.
 * @module
 */
import { type ModelPlan, pinModels } from "./canary.ts";
import { dataPaths } from "../output/paths.ts";
import { mirrorWorkflow } from "../output/workflow_files.ts";
import type { WorkflowRequest } from "../content/state.ts";
import { newWorkflowId, type Workflow, type WorkflowStore } from "./store.ts";

export async function createWorkflow(
  store: WorkflowStore,
  dataDir: string,
  request: WorkflowRequest,
  plan: ModelPlan,
  inboxFile?: string,
): Promise<Workflow> {
  // request.json first, under the id the row will take: a folder that cannot be written (read-only,
  // full) refuses the workflow before it exists, instead of a failed submit whose workflow runs anyway.
  const id = newWorkflowId(store.now());
  try {
    await mirrorWorkflow(dataDir, id, { request });
    const { models, arms } = pinModels(id, plan);
    return store.create(request, models, { inboxFile, id, arms });
  } catch (error) {
    // the id is brand new: nothing else can be in its folder
    await Deno.remove(dataPaths(dataDir).workflow(id).dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
