/**
 * Bytes as lowercase hex, two digits a byte: hashes and random names; and the SHA-256 of text or bytes in
 * hex. A leaf.
 * @module
 */

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The SHA-256 of `data` (text as UTF-8) in hex, cut to its first `bytes` bytes (all 32 by default). */
export async function sha256Hex(data: string | Uint8Array<ArrayBuffer>, bytes = 32): Promise<string> {
  const input = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", input)).slice(0, bytes));
}
