/**
 * Reading a price map from disk for `prices import`: looked at before it is read, so that a folder,
 * a FIFO, a device or a file over the limit is one clear error, never a hang or a full memory.
 * @module
 */
import { PriceFileError } from "./litellm.ts";

/** A price map this large is not LiteLLM's (about 1 MB in 2026): refused before it is read. */
export const MAX_PRICE_FILE_BYTES = 20 * 1024 * 1024;

/**
 * The file's text, looked at before it is read: a folder, a FIFO (would block) or /dev/zero (would
 * fill memory) is refused, and so is anything over MAX_PRICE_FILE_BYTES. The open file is looked at
 * again and read up to the size it had then, so a file swapped or growing meanwhile cannot pass the limit.
 */
export async function readPriceFile(path: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new PriceFileError(path, "", `cannot read: ${osReason(error)}`, { cause: error });
  }
  checkRegular(path, info);
  let bytes: Uint8Array;
  try {
    using handle = await Deno.open(path, { read: true });
    const opened = await handle.stat();
    checkRegular(path, opened);
    bytes = await readAtMost(handle, opened.size);
  } catch (error) {
    if (error instanceof PriceFileError) throw error;
    throw new PriceFileError(path, "", `cannot read: ${osReason(error)}`, { cause: error });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new PriceFileError(path, "", "not UTF-8 text");
  }
}

function checkRegular(path: string, info: Deno.FileInfo): void {
  if (info.isDirectory) throw new PriceFileError(path, "", "a folder, not a file");
  if (!info.isFile) throw new PriceFileError(path, "", "not a regular file (a device, FIFO or socket)");
  if (info.size > MAX_PRICE_FILE_BYTES) {
    throw new PriceFileError(
      path,
      "",
      `${info.size} bytes, over the ${MAX_PRICE_FILE_BYTES}-byte limit for a price map`,
    );
  }
}

/** Up to `limit` bytes of the file, fewer at its end. */
async function readAtMost(handle: Deno.FsFile, limit: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(limit);
  let length = 0;
  while (length < limit) {
    const n = await handle.read(buffer.subarray(length));
    if (n === null) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

function osReason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return (error as Error).message;
}
