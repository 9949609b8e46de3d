/**
 * The every-machine table of a report on a shared ledger: each machine's calls, spend, completions, tool
 * accuracy and cache hit rate, as `--json` gives them and the text and HTML show them. Pure.
 * @module
 */
import type { MachineFigures } from "../ledger/shared_ledger.ts";
import { nanoToUsd } from "../pricing/money.ts";
import { pct, usd } from "./format.ts";

/** A figure that may be missing (no completions, no tool calls): a dash then. */
const orDash = (x: number | null, format: (x: number) => string) => x === null ? "–" : format(x);

export interface MachineRow {
  machine: string;
  backend: string;
  calls: number;
  workflows: number;
  spentUsd: number;
  /** Workflows it published in the window, and what they cost each on average (null: none). */
  completions: number;
  costPerCompletionUsd: number | null;
  toolAccuracy: number | null;
  cacheHitRate: number | null;
  lastCall: string;
}

export function machineRow(m: MachineFigures): MachineRow {
  return {
    machine: m.machine,
    backend: m.backend,
    calls: m.calls,
    workflows: m.workflows,
    spentUsd: nanoToUsd(m.spentNano),
    completions: m.completions,
    costPerCompletionUsd: m.completions ? nanoToUsd(m.completedNano) / m.completions : null,
    toolAccuracy: m.toolCalls ? m.toolCallsOk / m.toolCalls : null,
    cacheHitRate: m.promptTokens ? m.cacheReadTokens / m.promptTokens : null,
    lastCall: new Date(m.lastCallTs).toISOString(),
  };
}

/** The table's header, and each row's cells as text: for the terminal and the page alike. */
export const MACHINE_HEADER = [
  "machine",
  "backend",
  "calls",
  "workflows",
  "spent",
  "published",
  "per completion",
  "tool ok",
  "cache hit",
  "last call",
] as const;

/** Each cell of a row, as text, with the field of MachineRow it shows. */
export function machineCells(m: MachineRow): { field: keyof MachineRow; text: string }[] {
  return [
    { field: "machine", text: m.machine },
    { field: "backend", text: m.backend === "sim" ? "sim (SIMULATED)" : m.backend },
    { field: "calls", text: String(m.calls) },
    { field: "workflows", text: String(m.workflows) },
    { field: "spentUsd", text: usd(m.spentUsd) },
    { field: "completions", text: String(m.completions) },
    {
      field: "costPerCompletionUsd",
      text: orDash(m.costPerCompletionUsd, usd),
    },
    { field: "toolAccuracy", text: orDash(m.toolAccuracy, pct) },
    { field: "cacheHitRate", text: orDash(m.cacheHitRate, pct) },
    { field: "lastCall", text: m.lastCall.slice(0, 16).replace("T", " ") },
  ];
}
