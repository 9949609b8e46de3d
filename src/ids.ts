/**
 * ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds and 80 random bits, in Crockford's base
 * 32, so that ids sort by time. Written here rather than imported: the npm package loads Deno's
 * `node:crypto` layer (about 10 MiB and 40 ms on every command, `status` included), where Web Crypto's
 * `getRandomValues` is all a ULID needs.
 * @module
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

function encodeTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIME) throw new RangeError(`not a ULID time: ${ms}`);
  let out = "";
  for (let i = 0, t = ms; i < TIME_CHARS; i++, t = Math.floor(t / 32)) out = ALPHABET[t % 32] + out;
  return out;
}

/** 16 random base-32 digits (80 bits), as digit values. */
function randomDigits(): number[] {
  return Array.from(crypto.getRandomValues(new Uint8Array(RANDOM_CHARS)), (b) => b & 31);
}

/** A new ULID for the time `ms` (epoch milliseconds). */
export function ulid(ms: number = Date.now()): string {
  return encodeTime(ms) + randomDigits().map((d) => ALPHABET[d]).join("");
}

/**
 * A ULID maker whose ids strictly increase: within one millisecond (or when the clock steps back) the
 * random part of the last id is incremented, as the spec's monotonic factory does.
 */
export function monotonicUlid(): (ms?: number) => string {
  let lastTime = -1;
  let last: number[] = [];
  return (ms = Date.now()) => {
    if (ms > lastTime) {
      lastTime = ms;
      last = randomDigits();
    } else {
      last = increment(last);
    }
    return encodeTime(lastTime) + last.map((d) => ALPHABET[d]).join("");
  };
}

function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 31) {
      next[i]++;
      return next;
    }
    next[i] = 0;
  }
  throw new RangeError("ULID random part overflowed within one millisecond");
}
