/**
 * Bytes as lowercase hex, two digits a byte: hashes and random names. A leaf. Pure.
 * @module
 */

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
