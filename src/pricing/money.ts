/**
 * Exact money. The ledger and every cap check count nano-USD (1e-9 dollars) as
 * integers; dollars appear only at the edges (config, the `usd_cost` column, output).
 * @module
 */

export const NANO_PER_USD = 1_000_000_000;

/** Dollars (from config) to nano-USD, rounded to the nearest nano. */
export function usdToNano(usd: number): number {
  return Math.round(usd * NANO_PER_USD);
}

/** nano-USD to dollars, for the `usd_cost` column and display. */
export function nanoToUsd(nano: number): number {
  return nano / NANO_PER_USD;
}

/** "$1.2345" with four decimals, or more when the amount is below a hundredth of a cent. */
export function formatUsd(nano: number): string {
  const usd = nanoToUsd(nano);
  const digits = usd !== 0 && Math.abs(usd) < 0.0001 ? 8 : 4;
  return `$${usd.toFixed(digits)}`;
}

/** "$0.029000000": every nano-dollar shown, so that two amounts never look alike. */
export function formatExactUsd(nano: number): string {
  const sign = nano < 0 ? "-" : "";
  const abs = Math.abs(nano);
  return `${sign}$${Math.floor(abs / NANO_PER_USD)}.${String(abs % NANO_PER_USD).padStart(9, "0")}`;
}

/**
 * A price in USD per million tokens as nano-USD per token (×1000). Returns
 * undefined when the price is not a whole number of nano-USD per token, that is
 * finer than $0.001 per MTok, so that no price is silently rounded.
 */
export function perMTokToNanoPerToken(usdPerMTok: number): number | undefined {
  const nano = usdPerMTok * 1000;
  const whole = Math.round(nano);
  return Math.abs(nano - whole) < 1e-6 && whole >= 0 ? whole : undefined;
}
