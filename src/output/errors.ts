/**
 * The errors of the files-on-disk layer. They extend the project's
 * `PressroomError` (exit code 1: a refused path or slug here means a bug or
 * hostile input got past the tool layer, not a user typo).
 * @module
 */
import { PressroomError } from "../errors.ts";

/** A path part was refused: absolute, `..`, NUL, a separator, odd characters, or outside the root. */
export class UnsafePathError extends PressroomError {
  constructor(readonly part: string, readonly problem: string) {
    super(`unsafe path part ${JSON.stringify(part)}: ${problem}`);
    this.name = "UnsafePathError";
  }
}

/** A slug that breaks the rule in paths.ts (`SLUG_PATTERN`, `SLUG_MAX_LENGTH`). */
export class InvalidSlugError extends PressroomError {
  constructor(readonly slug: string) {
    super(
      `invalid slug ${
        JSON.stringify(slug)
      }: lowercase letters and digits in words joined by single hyphens, ` +
        `at most 80 characters`,
    );
    this.name = "InvalidSlugError";
  }
}

/** A workflow id that is not a ULID, so it may not become a folder name. */
export class InvalidWorkflowIdError extends PressroomError {
  constructor(readonly workflowId: string) {
    super(
      `invalid workflow id ${JSON.stringify(workflowId)}: expected a ULID (26 characters, Crockford base 32)`,
    );
    this.name = "InvalidWorkflowIdError";
  }
}

/** Front matter that cannot be written or read back: a missing field, a wrong type, broken YAML. */
export class FrontMatterError extends PressroomError {
  override name = "FrontMatterError";
}

/** The content state lacks what an output needs (e.g. an article without a draft or metadata). */
export class OutputStateError extends PressroomError {
  override name = "OutputStateError";
}

/** A transcript line refers to a piece that `transcript.parts.jsonl` does not hold (removed, or torn by a crash). */
export class TranscriptPartError extends PressroomError {
  constructor(readonly ref: string) {
    super(`transcript.parts.jsonl holds no piece "${ref}": that request cannot be rebuilt`);
    this.name = "TranscriptPartError";
  }
}
