/**
 * A message as the Messages API streams it (`stream: true`): server-sent events `message_start`, for
 * each content block `content_block_start`, its deltas and `content_block_stop`, then `message_delta`
 * (stop reason, details and the final usage) and `message_stop`. The SDK's stream helpers assemble
 * them into the same message a request without `stream` gets. Pure.
 * @module
 */

// deno-lint-ignore no-explicit-any
type Json = any;

/** Text is sent in pieces of about this many characters, as the API sends it in many small deltas. */
const TEXT_PIECE = 200;

function event(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += TEXT_PIECE) out.push(text.slice(i, i + TEXT_PIECE));
  return out.length ? out : [""];
}

/** A block's start (its empty shell) and its deltas. */
function blockEvents(block: Json, index: number): string[] {
  switch (block.type) {
    case "text":
      return [
        event("content_block_start", { index, content_block: { ...block, text: "" } }),
        ...pieces(block.text).map((text) =>
          event("content_block_delta", { index, delta: { type: "text_delta", text } })
        ),
      ];
    case "thinking":
      return [
        event("content_block_start", { index, content_block: { ...block, thinking: "", signature: "" } }),
        ...pieces(block.thinking).map((thinking) =>
          event("content_block_delta", { index, delta: { type: "thinking_delta", thinking } })
        ),
        event("content_block_delta", {
          index,
          delta: { type: "signature_delta", signature: block.signature },
        }),
      ];
    case "tool_use":
    case "server_tool_use":
      return [
        event("content_block_start", { index, content_block: { ...block, input: {} } }),
        ...pieces(JSON.stringify(block.input ?? {})).map((partial_json) =>
          event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } })
        ),
      ];
    default:
      // Search results and the like come whole in their start event.
      return [event("content_block_start", { index, content_block: block })];
  }
}

/** The events of `message`, in order; `cutAfter` stops after that many (a connection lost mid-stream). */
export function messageEvents(message: Json, cutAfter?: number): string {
  // A message without usage (a fault) streams an empty one: the SDK then sees no counts, as without streaming.
  const { content, stop_reason, stop_sequence, stop_details, usage = {}, ...rest } = message;
  const events = [
    event("message_start", {
      message: {
        ...rest,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    ...content.flatMap((block: Json, index: number) => [
      ...blockEvents(block, index),
      event("content_block_stop", { index }),
    ]),
    event("message_delta", { delta: { stop_reason, stop_sequence, stop_details }, usage }),
    event("message_stop", {}),
  ];
  return (cutAfter === undefined ? events : events.slice(0, cutAfter)).join("");
}
