/**
 * A new workflow: the row (models pinned, canary arms drawn) and its `request.json`, whichever way
 * the request came in (submit, the inbox, the demo); both or neither.
 * @module
 */
import { type ArmPin, type ModelPlan, pinModels } from "./canary.ts";
import { dataPaths } from "../output/paths.ts";
import { mirrorWorkflow } from "../output/workflow_files.ts";
import type { WorkflowRequest } from "../content/state.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { newWorkflowId, type Workflow, type WorkflowStore } from "./store.ts";

/** Where a workflow is made: its row, its arms in the shared ledger (if any), its folder. */
export interface CreateDeps {
  store: WorkflowStore;
  ledger: Ledger;
  dataDir: string;
}

export async function createWorkflow(
  { store, ledger, dataDir }: CreateDeps,
  request: WorkflowRequest,
  plan: ModelPlan,
  inboxFile?: string,
): Promise<Workflow> {
  const { workflow, arms } = await createdRow(store, dataDir, { request, plan, inboxFile });
  // The row stands whatever the shared ledger says: a database out of reach gets the arms when the data
  // folder is next opened.
  await ledger.armsDrawn(arms.map((a) => ({ ...a, workflowId: workflow.id, ts: workflow.createdTs })));
  return workflow;
}

async function createdRow(
  store: WorkflowStore,
  dataDir: string,
  { request, plan, inboxFile }: { request: WorkflowRequest; plan: ModelPlan; inboxFile?: string },
): Promise<{ workflow: Workflow; arms: ArmPin[] }> {
  // request.json first, under the id the row will take: a folder that cannot be written (read-only,
  // full) refuses the workflow before it exists, instead of a failed submit whose workflow runs anyway.
  const id = newWorkflowId(store.now());
  try {
    await mirrorWorkflow(dataDir, id, { request });
    const { models, arms } = pinModels(id, plan);
    return { workflow: store.create(request, models, { inboxFile, id, arms }), arms };
  } catch (error) {
    // the id is brand new: nothing else can be in its folder
    await Deno.remove(dataPaths(dataDir).workflow(id).dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
