/**
 * Where API requests go, without loading the SDK: `doctor` checks the address and must stay light.
 * @module
 */

/** Where the SDK sends requests when ANTHROPIC_BASE_URL is not set. */
export const DEFAULT_BASE_URL = "https://api.anthropic.com";

/** The API's base URL as the SDK will use it: ANTHROPIC_BASE_URL, else the real API. */
export function baseUrlFromEnv(env: { get(name: string): string | undefined }): string {
  return env.get("ANTHROPIC_BASE_URL")?.trim() || DEFAULT_BASE_URL;
}
