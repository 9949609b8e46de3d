/**
 * What strict tool use guarantees of a tool call, for the simulated model: with `strict: true` the API
 * decodes the call's input under the tool's schema, so the name is one of the tools offered and the
 * input has the schema's types, required fields, enum values and no unknown property (the subset of
 * JSON Schema strict mode takes: src/claude/strict_schema.ts). A mistake a model could still make is
 * one against a rule the strict schema does not carry (a length, an item count): the tool's own
 * validation catches it. Pure.
 * @module
 */

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    default:
      return true; // no type given: anything
  }
}

/** Whether strict decoding under `schema` could produce `value`. */
export function decodableUnderStrict(schema: unknown, value: unknown): boolean {
  if (!isObject(schema)) return true;
  const s = schema as Schema;
  if (!hasType(value, s.type)) return false;
  if (Array.isArray(s.enum) && !s.enum.includes(value)) return false;
  if (typeof s.pattern === "string" && typeof value === "string" && !new RegExp(s.pattern).test(value)) {
    return false;
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) return false;
    return value.every((item) => decodableUnderStrict(s.items, item));
  }
  if (isObject(value)) {
    const properties = isObject(s.properties) ? s.properties : {};
    const required = Array.isArray(s.required) ? s.required as string[] : [];
    if (required.some((key) => !(key in value))) return false;
    if (s.additionalProperties === false && Object.keys(value).some((key) => !(key in properties))) {
      return false;
    }
    return Object.entries(value).every(([key, v]) => decodableUnderStrict(properties[key], v));
  }
  return true;
}

/** The input schemas of the strict tools a request offers, by name. */
export function strictToolSchemas(tools: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(tools)) return out;
  for (const tool of tools) {
    if (isObject(tool) && tool.strict === true && typeof tool.name === "string") {
      out.set(tool.name, tool.input_schema);
    }
  }
  return out;
}
