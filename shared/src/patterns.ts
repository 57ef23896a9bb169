/**
 * The shapes of names and numbers that cross a boundary (CLI flags, URLs, JSON, CSV, forms), each
 * written once. The registry enforces the same model-name and alias rules when it stores them.
 */

/** A registered model's name: a letter or digit, then up to 63 letters, digits, `.`, `_` or `-`. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** An alias (`production`, `staging`): a lowercase letter, then up to 31 of a-z, 0-9, `_` or `-`. */
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** A version number as text (URL path or query): 1 or more, at most 9 digits, no leading zero. */
export const VERSION_PATTERN = /^[1-9][0-9]{0,8}$/;

/** Text that holds one decimal number (sign, fraction and exponent allowed; no hex, no Infinity). */
export const NUMERIC_STRING = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
