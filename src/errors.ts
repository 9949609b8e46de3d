/**
 * The named errors Pressroom throws. Each carries what the user needs to act,
 * and `exitCode` tells the CLI how to end: 2 for bad input, 1 for failures.
 * @module
 */
import { nanoToUsd } from "./pricing/money.ts";

/** Base class: a message fit for one line on stderr, and the exit code. */
export class PressroomError extends Error {
  readonly exitCode: number = 1;
}

/** The user gave something wrong: a config field, a file, an argument. Exit 2. */
export class UserInputError extends PressroomError {
  override readonly exitCode = 2;
}

/** A config file field is invalid; `where` is `file: field.path`. */
export class ConfigError extends UserInputError {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${problem}`, options);
    this.name = "ConfigError";
  }
}

/** A command line argument is missing or wrong. */
export class UsageError extends UserInputError {
  override name = "UsageError";
}

/** A model id with no known price: refused before any call, never priced at zero. */
export class UnknownModelError extends UserInputError {
  constructor(readonly model: string, where = "") {
    super(
      `${where ? `${where}: ` : ""}unknown model "${model}": no price is known for it; ` +
        `add it under "prices" in pressroom.json`,
    );
    this.name = "UnknownModelError";
  }
}

/** What a refused call would have broken. Amounts are exact nano-USD. */
export interface CapBreach {
  /** The cap's name as the config spells it, e.g. `perModelDailyUsd["claude-opus-*"]`. */
  cap: string;
  limitNano: number;
  spentNano: number;
  /** Open reservations of other calls in flight. */
  reservedNano: number;
  /** This call's worst-case cost. */
  requestNano: number;
  /** Epoch ms when the cap's period ends, or null for caps that never reset (per workflow). */
  resetsAt: number | null;
  /** The call's `max_tokens` and output price, when the caller gave them: what a lower maxTokens saves. */
  output?: { maxTokens: number; nanoPerToken: number };
}

/**
 * A call was refused because its worst case could break a cap: no request was sent. For a retry
 * refused after an attempt that got no answer, no further attempt was sent (the call has its row).
 */
export class CostCapError extends PressroomError {
  constructor(readonly breach: CapBreach) {
    const usd = (n: number) => `$${nanoToUsd(n).toFixed(4)}`;
    const resets = breach.resetsAt === null
      ? "it does not reset"
      : `resets ${new Date(breach.resetsAt).toISOString()}`;
    super(
      `cost cap ${breach.cap} would be exceeded: spent ${usd(breach.spentNano)} + reserved ${
        usd(breach.reservedNano)
      } + this call up to ${usd(breach.requestNano)} > limit ${usd(breach.limitNano)}; ${resets}`,
    );
    this.name = "CostCapError";
  }
}

/** The API key is missing where a real call needs it. */
export class MissingApiKeyError extends UserInputError {
  constructor() {
    super("ANTHROPIC_API_KEY is not set: export it, or use the simulated model (pressroom demo)");
    this.name = "MissingApiKeyError";
  }
}

/**
 * A command that reads the ledger found none where the data folder points (a mistyped `--data`?): it says
 * so rather than make an empty one. `from` names where the folder came from (`--data`, a config field…).
 */
export class NoLedgerError extends UserInputError {
  constructor(readonly from: string, readonly path: string, readonly folderExists: boolean) {
    super(
      `${from}: no ledger at ${path} (${folderExists ? "no such file" : "the folder does not exist"}); ` +
        "check the folder, or start one with `pressroom submit` or `pressroom demo`",
    );
    this.name = "NoLedgerError";
  }
}

/**
 * Something every call needs cannot be reached (the API, or the shared ledger's database): nothing was
 * sent, the workflow stays where it was, and `run` waits and tries again. Exit 1.
 */
export class UnreachableError extends PressroomError {
  constructor(readonly where: string, readonly why: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * No call could reach the API (refused, DNS, TLS, or Deno's permissions, on every attempt): nothing was
 * sent or billed, and the workflow stays where it was. Exit 1.
 */
export class ApiUnreachableError extends UnreachableError {
  constructor(readonly baseUrl: string, why: string, options?: ErrorOptions) {
    super(
      baseUrl,
      why,
      `cannot reach the API at ${baseUrl} (${why}): nothing was sent, and the work stays where it was`,
      options,
    );
    this.name = "ApiUnreachableError";
  }
}

/** The shared ledger's database could not be reached: no call is sent without a reservation. Exit 1. */
export class LedgerUnreachableError extends UnreachableError {
  constructor(where: string, why: string, options?: ErrorOptions) {
    super(
      where,
      why,
      `cannot reach the shared ledger at ${where} (${why}): no call is sent without a reservation`,
      options,
    );
    this.name = "LedgerUnreachableError";
  }
}
