/**
 * A Message Batch request's `custom_id`, which ties its result to the call that sent it: the agent, the
 * workflow and the ledger reservation, joined by "_" (the API takes `^[a-zA-Z0-9_-]{1,64}$`; agent ids,
 * workflow ids and reservation ids are ULIDs or lowercase words, none with "_"). The simulated model reads the
 * agent from it, where a synchronous call carries it in the `x-pressroom-agent` header. Pure.
 * @module
 */

export interface BatchCallId {
  agent: string;
  workflow: string;
  reservation: string;
}

const PART = /^[a-zA-Z0-9-]+$/;
const MAX_LENGTH = 64;

export function customIdOf(call: BatchCallId): string {
  const parts = [call.agent, call.workflow, call.reservation];
  const id = parts.join("_");
  if (!parts.every((p) => PART.test(p)) || id.length > MAX_LENGTH) {
    throw new Error(
      `no custom_id fits ${JSON.stringify(call)}: at most ${MAX_LENGTH} of [a-zA-Z0-9-] joined by _`,
    );
  }
  return id;
}

/** The call a `custom_id` names, or undefined when it is not one of ours. */
export function parseCustomId(id: string): BatchCallId | undefined {
  const parts = id.split("_");
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) return undefined;
  const [agent, workflow, reservation] = parts;
  return { agent, workflow, reservation };
}
