/**
 * One stage's conversation as the next request sends it: the volatile block (the first user
 * message), then the turns. Pure: every change returns a new conversation. It never holds what the
 * API refuses: an assistant turn without content, or two turns of one role in a row. A paused turn's
 * continuation joins the assistant turn it continues; a user turn with nothing before it to answer
 * (the assistant's reply was empty) joins the user turn before it.
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { Turn } from "../claude/request.ts";

export interface Conversation {
  volatile: string;
  turns: Turn[];
}

type Block = Anthropic.ContentBlockParam;

export function startConversation(volatile: string): Conversation {
  return { volatile, turns: [] };
}

/** The assistant's blocks; none adds no turn. */
export function withAssistant(conversation: Conversation, blocks: Block[]): Conversation {
  return joined(conversation, "assistant", blocks);
}

/** The user's blocks (tool results, then text); none adds no turn. */
export function withUser(conversation: Conversation, blocks: Block[]): Conversation {
  if (!blocks.length || conversation.turns.length) return joined(conversation, "user", blocks);
  // Nothing answered yet: the first user message is the volatile block, and text joins it.
  const texts = blocks.map((b) => {
    if (b.type !== "text") throw new Error(`a ${b.type} block cannot open a conversation`);
    return b.text;
  });
  return { ...conversation, volatile: [conversation.volatile, ...texts].join("\n\n") };
}

function joined(conversation: Conversation, role: "user" | "assistant", blocks: Block[]): Conversation {
  if (!blocks.length) return conversation;
  const turns = conversation.turns;
  const last = turns.at(-1);
  if (last?.role !== role) return { ...conversation, turns: [...turns, { role, content: blocks }] };
  const before: Block[] = typeof last.content === "string"
    ? [{ type: "text", text: last.content }]
    : [...last.content];
  return { ...conversation, turns: [...turns.slice(0, -1), { role, content: [...before, ...blocks] }] };
}
