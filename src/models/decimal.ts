/**
 * Exact decimal conversion of prices. A price map gives USD per token as a JSON
 * number (3.75e-6); Pressroom keeps USD per million tokens in config and nano-USD
 * per token in the ledger. Multiplying the float by a million drifts
 * (2.9999999999999996), so these helpers do the arithmetic on the number's
 * shortest decimal string, with bigint digits. Pure.
 * @module
 */

/** A number as integer digits times a power of ten: 3.75e-6 is { digits: 375n, exponent: -8 }. */
export interface Decimal {
  digits: bigint;
  exponent: number;
}

/**
 * The exact decimal that JavaScript prints for `value` (its shortest round-trip form). Undefined for
 * NaN and the infinities, which have none.
 */
export function decimalOf(value: number): Decimal | undefined {
  if (!Number.isFinite(value)) return undefined;
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) return undefined; // String(finite number) always matches; kept for the type
  const [, sign, whole, fraction = "", exp = "0"] = match;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  return { digits, exponent: Number(exp) - fraction.length };
}

/** `value` × 10^power when that is a whole number, else undefined (never rounded). */
export function scaledInteger(value: number, power: number): bigint | undefined {
  const decimal = decimalOf(value);
  if (!decimal) return undefined;
  const exponent = decimal.exponent + power;
  if (exponent >= 0) return decimal.digits * 10n ** BigInt(exponent);
  const divisor = 10n ** BigInt(-exponent);
  return decimal.digits % divisor === 0n ? decimal.digits / divisor : undefined;
}

/**
 * USD per token (a price map's unit) as nano-USD per token, exactly; undefined when the price is finer
 * than a nano-dollar per token, that is finer than 0.001 USD per million tokens.
 */
export function usdPerTokenToNano(usdPerToken: number): bigint | undefined {
  return scaledInteger(usdPerToken, 9);
}

/**
 * nano-USD per token as USD per million tokens (÷ 1000). For a whole number of nano-USD the result is
 * the double nearest the decimal, which JavaScript prints and JSON.stringify writes as that decimal.
 */
export function nanoToPerMTok(nanoPerToken: number): number {
  return nanoPerToken / 1000;
}

/**
 * nano-USD per token as a USD-per-MTok string with at least `minDecimals` decimals and no float tail:
 * 3750 → "3.75", 100 → "0.10", 125 → "0.125", 10000 → "10.00".
 */
export function formatPerMTok(nanoPerToken: number, minDecimals = 2): string {
  if (!Number.isSafeInteger(nanoPerToken)) throw new RangeError(`not a whole nano amount: ${nanoPerToken}`);
  const sign = nanoPerToken < 0 ? "-" : "";
  const abs = Math.abs(nanoPerToken);
  const whole = Math.floor(abs / 1000);
  const fraction = String(abs % 1000).padStart(3, "0").replace(/0+$/, "").padEnd(minDecimals, "0");
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}
