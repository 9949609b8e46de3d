// deno-lint-ignore-file no-explicit-any
/**
 * The few assertions the tests use, on top of node:assert (@std/assert lives on
 * JSR, which our machines cannot reach).
 * @module
 */
import nodeAssert from "node:assert";

export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

export function assertEquals<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance: number,
  message?: string,
): void {
  nodeAssert.ok(
    Math.abs(actual - expected) <= tolerance,
    message ?? `${actual} is not within ${tolerance} of ${expected}`,
  );
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(actual, pattern, message);
}

type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

function checkError<E extends Error>(error: unknown, type: ErrorClass<E>, includes?: string): E {
  if (!(error instanceof type)) {
    throw new nodeAssert.AssertionError({
      message: `expected ${type.name}, got ${String(error)}`,
      actual: error,
    });
  }
  if (includes !== undefined && !error.message.includes(includes)) {
    throw new nodeAssert.AssertionError({
      message: `expected the message to include "${includes}": ${error.message}`,
      actual: error.message,
    });
  }
  return error;
}

export function assertThrows<E extends Error>(fn: () => unknown, type: ErrorClass<E>, includes?: string): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: `expected ${type.name} to be thrown` });
}

export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: `expected ${type.name} to be thrown` });
}
