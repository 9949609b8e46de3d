/**
 * How a report prints dollars and shares, on the terminal and on the page alike: the page's test reads its
 * cells back against `--json` with these formats. Pure.
 * @module
 */

/** Dollars to four places: `$0.0600`. */
export const usd = (x: number) => `$${x.toFixed(4)}`;

/** A share as a percentage to one place: `50.0%`. */
export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
