/**
 * Strict tool use (`strict: true` on a tool): the API then guarantees valid tool names, types,
 * required fields and enums, but takes only a subset of JSON Schema. This module is the one place
 * that subset is written down: what strict mode refuses (for the simulated model and the fake API to
 * refuse it too), and how a full schema becomes a strict one (the rules it drops stay in the tool
 * handler's own validation, so their failures are still classified and measured). Pure.
 *
 * Source: Anthropic's structured outputs page, "JSON Schema limitations" (numeric constraints,
 * string length constraints, array constraints beyond `minItems` 0 or 1 are not supported; every
 * object must set `additionalProperties: false`), as quoted in stored copies checked 2026-12-01;
 * the issue that asked for this names `minItems` above 1, `maxItems` and `maxLength`.
 * @module
 */

/** Keywords strict mode refuses wherever they stand in a schema. */
export const STRICT_UNSUPPORTED_KEYWORDS = [
  "minLength",
  "maxLength",
  "maxItems",
  "uniqueItems",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
] as const;

/** The largest `minItems` strict mode takes. */
export const STRICT_MAX_MIN_ITEMS = 1;

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The schemas nested in `schema`, with their paths: properties, items, and the combinators. */
export function nestedSchemas(schema: Schema, path: string): [Schema, string][] {
  const out: [Schema, string][] = [];
  if (isSchema(schema.properties)) {
    for (const [key, value] of Object.entries(schema.properties)) {
      if (isSchema(value)) out.push([value, `${path}.properties.${key}`]);
    }
  }
  if (isSchema(schema.items)) out.push([schema.items, `${path}.items`]);
  for (const combinator of ["anyOf", "allOf", "oneOf"]) {
    const list = schema[combinator];
    if (Array.isArray(list)) {
      list.forEach((value, i) => isSchema(value) && out.push([value, `${path}.${combinator}.${i}`]));
    }
  }
  return out;
}

/** Everything in `schema` that strict mode refuses, each as `path: problem`; empty when it takes it. */
export function strictProblems(schema: unknown, path = "input_schema"): string[] {
  if (!isSchema(schema)) return [`${path}: not a schema object`];
  const problems: string[] = [];
  for (const keyword of STRICT_UNSUPPORTED_KEYWORDS) {
    if (keyword in schema) problems.push(`${path}.${keyword}: not supported with strict`);
  }
  if (typeof schema.minItems === "number" && schema.minItems > STRICT_MAX_MIN_ITEMS) {
    problems.push(`${path}.minItems: only 0 or 1 is supported with strict`);
  }
  if (schema.type === "object" && schema.additionalProperties !== false) {
    problems.push(`${path}.additionalProperties: must be false with strict`);
  }
  for (const [child, at] of nestedSchemas(schema, path)) problems.push(...strictProblems(child, at));
  return problems;
}

/**
 * A copy of `schema` that strict mode takes: the refused keywords dropped, `minItems` above 1
 * lowered to 1, `additionalProperties: false` on every object.
 */
export function toStrictSchema<T>(schema: T): T {
  if (!isSchema(schema)) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((STRICT_UNSUPPORTED_KEYWORDS as readonly string[]).includes(key)) continue;
    if (key === "minItems" && typeof value === "number") {
      out.minItems = Math.min(value, STRICT_MAX_MIN_ITEMS);
    } else if (key === "properties" && isSchema(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toStrictSchema(v)]));
    } else if (key === "items" || key === "not") {
      out[key] = toStrictSchema(value);
    } else if ((key === "anyOf" || key === "allOf" || key === "oneOf") && Array.isArray(value)) {
      out[key] = value.map((v) => toStrictSchema(v));
    } else {
      out[key] = value;
    }
  }
  if (out.type === "object") out.additionalProperties = false;
  return out as T;
}
