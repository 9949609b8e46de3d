/**
 * Pressroom's version: the one place it is written (`pressroom --version` prints it).
 * @module
 */
export const VERSION = "0.12.0";
