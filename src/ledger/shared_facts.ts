/**
 * What the shared ledger keeps of each machine's workflows for `report` and `rollout`: the workflows it
 * published (with their models and citations) and the canary arms it drew. A live process and
 * `ledger copy` write them with the same statements, which skip (or fill in) what is there already, so
 * either can send a row twice.
 * @module
 */
import type { Completion } from "../pipeline/store.ts";
import type { DrawnArm } from "../pipeline/canary.ts";

/** Published workflows; a row from before their models and citations were kept gets them filled in. */
export const COMPLETIONS_SQL = `
  INSERT INTO workflow_completion (workflow_instance_id, machine, published_ts, models, citations)
  SELECT id, $5, ts, models, citations FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[])
    AS t(id, ts, models, citations)
  ON CONFLICT (workflow_instance_id) DO UPDATE SET models = EXCLUDED.models, citations = EXCLUDED.citations
    WHERE workflow_completion.models IS NULL`;

export function completionParams(completions: Completion[], machine: string): unknown[] {
  return [
    completions.map((c) => c.workflowId),
    completions.map((c) => c.ts),
    completions.map((c) => JSON.stringify(c.models)),
    completions.map((c) => JSON.stringify(c.citations)),
    machine,
  ];
}

/** Canary arms drawn. */
export const ARMS_SQL = `
  INSERT INTO canary_arm (workflow_instance_id, agent_id, arm, model, canary_model, control_model, share, ts,
    machine)
  SELECT *, $9 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::float8[], $8::int8[])
  ON CONFLICT DO NOTHING`;

export function armParams(arms: DrawnArm[], machine: string): unknown[] {
  return [
    arms.map((a) => a.workflowId),
    arms.map((a) => a.agent),
    arms.map((a) => a.arm),
    arms.map((a) => a.model),
    arms.map((a) => a.canaryModel),
    arms.map((a) => a.controlModel),
    arms.map((a) => a.share),
    arms.map((a) => a.ts),
    machine,
  ];
}
