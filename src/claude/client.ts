/**
 * The Anthropic SDK client, configured so that it reads only the environment
 * variables in the permission set and never logs request headers (the key).
 * @module
 */
import Anthropic from "@anthropic-ai/sdk";
import { MissingApiKeyError } from "../errors.ts";
import { baseUrlFromEnv } from "./base_url.ts";

export interface ClientSettings {
  apiKey: string;
  baseURL?: string;
  /** Replaces HTTP: the simulated model plugs in here. */
  fetch?: typeof fetch;
  /** SDK retries for connection errors, 408, 409, 429 and 5xx. */
  maxRetries?: number;
  timeoutMs?: number;
}

export function createClient(settings: ClientSettings): Anthropic {
  return new Anthropic({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL,
    fetch: settings.fetch,
    maxRetries: settings.maxRetries ?? 2,
    timeout: settings.timeoutMs ?? 10 * 60_000,
    // Each of these would otherwise be read from an environment variable we do not allow.
    webhookKey: null,
    openTelemetry: false,
    logLevel: "warn",
  });
}

/** The real API: the key from ANTHROPIC_API_KEY, the URL from ANTHROPIC_BASE_URL (the SDK's own variables). */
export function clientFromEnv(
  env: { get(name: string): string | undefined } = Deno.env,
  settings: Omit<ClientSettings, "apiKey" | "baseURL"> = {},
): Anthropic {
  const apiKey = env.get("ANTHROPIC_API_KEY")?.trim();
  if (!apiKey) throw new MissingApiKeyError();
  return createClient({ ...settings, apiKey, baseURL: baseUrlFromEnv(env) });
}
