/**
 * The canonical description of a zod schema that the schema hash is computed over. It uses ckpt's
 * own vocabulary (not class names, which change with a refactor) and records what decides whether saved data fits: field
 * names, types, typed-array dtypes, optionality, nesting, number formats such as `int32`. It leaves
 * out refinements (`min`, `email`, custom checks), messages, defaults' values and descriptions.
 * Object fields and union members are order-independent (canonical JSON sorts keys; union members
 * are sorted), so reordering a schema's keys keeps its hash.
 */
import type { z } from "zod";
import { dtypeOfPrototype } from "../codec/dtypes.js";
import { canonicalJson, type JsonValue, setOwn } from "../codec/json.js";
import { arraySchemaInfo } from "./arrays.js";

/** zod's internal definition, read defensively: only `type` is relied on everywhere. */
interface Def {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A schema type the codec cannot store, found while describing: `path` names the field. */
export class UnsupportedSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly zodType: string,
  ) {
    super(`${path}: a zod ${zodType} cannot be checkpointed`);
  }
}

const SIMPLE: Readonly<Record<string, string>> = {
  string: "string",
  boolean: "boolean",
  date: "date",
  null: "null",
  undefined: "undefined",
  void: "undefined",
  any: "any",
  unknown: "unknown",
  never: "never",
  nan: "nan",
};
const WRAPPERS: Readonly<Record<string, string>> = {
  optional: "optional",
  nullable: "nullable",
  default: "default",
  prefault: "default",
  nonoptional: "nonoptional",
  catch: "catch",
  success: "success",
};
const REFUSED = new Set(["symbol", "function", "promise", "file", "set"]);

function defOf(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

function formatOf(def: Def, check: string): string | undefined {
  if (typeof def.format === "string") return def.format;
  const checks = Array.isArray(def.checks) ? def.checks : [];
  for (const item of checks) {
    const checkDef = defOf(item) as Def & { check?: unknown; format?: unknown };
    if (checkDef.check === check && typeof checkDef.format === "string") return checkDef.format;
  }
  return undefined;
}

function literal(value: unknown): string {
  return `${typeof value}:${String(value)}`;
}

function sortedByCanonical(items: JsonValue[]): JsonValue[] {
  return items
    .map((item) => [canonicalJson(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
}

/**
 * The canonical description of `schema`. Recursive schemas (getters, `z.lazy`) describe the
 * recursion as `{ type: "ref", up: n }`, n levels up. Types the codec cannot store (symbol,
 * function, promise, file, Set) throw {@link UnsupportedSchemaError}.
 */
export function describeSchema(schema: z.ZodType, path = "schema"): JsonValue {
  const stack: unknown[] = [];
  const walk = (node: unknown, where: string): JsonValue => {
    const seen = stack.lastIndexOf(node);
    if (seen >= 0) return { type: "ref", up: stack.length - seen };
    stack.push(node);
    try {
      return describe(node, where);
    } finally {
      stack.pop();
    }
  };
  const describe = (node: unknown, where: string): JsonValue => {
    const def = defOf(node);
    const type = def.type;
    if (REFUSED.has(type)) throw new UnsupportedSchemaError(where, type);
    const simple = SIMPLE[type];
    if (simple !== undefined) return { type: simple };
    const wrapper = WRAPPERS[type];
    if (wrapper !== undefined) return { type: wrapper, of: walk(def.innerType, where) };
    switch (type) {
      case "number":
      case "bigint": {
        const format = formatOf(def, type === "number" ? "number_format" : "bigint_format");
        return format === undefined ? { type } : { type, format };
      }
      case "readonly":
        return walk(def.innerType, where);
      case "lazy":
        return walk((def.getter as () => unknown)(), where);
      case "literal":
        return { type: "literal", values: (def.values as unknown[]).map(literal).sort() };
      case "enum":
        return {
          type: "enum",
          values: Object.values(def.entries as object)
            .map(literal)
            .sort(),
        };
      case "template_literal":
        return {
          type: "template",
          parts: (def.parts as unknown[]).map((part) =>
            typeof part === "object" && part !== null && "_zod" in part ? walk(part, where) : literal(part),
          ),
        };
      case "array":
        return { type: "array", of: walk(def.element, `${where}[]`) };
      case "tuple": {
        const items = (def.items as unknown[]).map((item, k) => walk(item, `${where}[${k}]`));
        return def.rest === null || def.rest === undefined
          ? { type: "tuple", items }
          : { type: "tuple", items, rest: walk(def.rest, `${where}[]`) };
      }
      case "object": {
        const fields: Record<string, JsonValue> = {};
        const shape = def.shape as Record<string, unknown>;
        for (const key of Object.keys(shape)) setOwn(fields, key, walk(shape[key], `${where}.${key}`));
        return def.catchall === undefined || def.catchall === null
          ? { type: "object", fields }
          : { type: "object", fields, rest: walk(def.catchall, `${where}[*]`) };
      }
      case "record":
        return { type: "record", key: walk(def.keyType, where), value: walk(def.valueType, `${where}[*]`) };
      case "map":
        return { type: "map", key: walk(def.keyType, where), value: walk(def.valueType, `${where}.get()`) };
      case "union":
        return {
          type: "union",
          of: sortedByCanonical((def.options as unknown[]).map((option) => walk(option, where))),
        };
      case "intersection":
        return {
          type: "intersection",
          of: sortedByCanonical([walk(def.left, where), walk(def.right, where)]),
        };
      case "pipe":
        return { type: "pipe", in: walk(def.in, where), out: walk(def.out, where) };
      case "transform":
        return { type: "transform" };
      case "custom": {
        const array = arraySchemaInfo(def.fn);
        if (array !== undefined)
          return array.kind === "typedarray"
            ? { type: "typedarray", dtype: array.dtype.descr, jsType: array.dtype.jsType }
            : { type: "ndarray", dtype: array.dtype.descr, jsType: array.dtype.jsType, ndim: array.ndim };
        // z.instanceof(Float64Array) describes like typedArray("float64").
        const bag = (node as { _zod: { bag?: { Class?: unknown } } })._zod.bag;
        const cls = bag?.Class as { prototype?: unknown; name?: unknown } | undefined;
        if (cls !== undefined) {
          const dtype = dtypeOfPrototype(cls.prototype);
          if (dtype !== undefined) return { type: "typedarray", dtype: dtype.descr, jsType: dtype.jsType };
          return { type: "instanceof", class: String(cls.name) };
        }
        return { type: "custom" };
      }
      default:
        return { type: `zod:${type}` };
    }
  };
  return walk(schema, path);
}

/** A short rendering of a described type for messages: `array<number>`, `typedarray<f4>`. */
export function renderType(d: JsonValue | undefined): string {
  if (typeof d !== "object" || d === null || Array.isArray(d)) return "?";
  const type = String(d.type);
  switch (type) {
    case "optional":
    case "nullable":
    case "default":
    case "array":
    case "nonoptional":
    case "catch":
      return `${type}<${renderType(d.of)}>`;
    case "typedarray":
    case "ndarray":
      return `${type}<${String(d.dtype).slice(1)}>`;
    case "number":
    case "bigint":
      return d.format === undefined ? type : `${type}(${String(d.format)})`;
    case "object":
      return "object";
    default:
      return type;
  }
}

/**
 * What differs between two object descriptions, for messages: added, removed and changed fields
 * (`counter: number -> string`), nested objects followed with dotted paths.
 */
export function describeDifference(saved: JsonValue | undefined, current: JsonValue, base = ""): string[] {
  const fieldsOf = (d: JsonValue | undefined): Record<string, JsonValue> | undefined =>
    typeof d === "object" &&
    d !== null &&
    !Array.isArray(d) &&
    d.type === "object" &&
    typeof d.fields === "object"
      ? (d.fields as Record<string, JsonValue>)
      : undefined;
  const before = fieldsOf(saved);
  const after = fieldsOf(current);
  if (before === undefined || after === undefined) {
    if (canonicalJson(saved ?? null) === canonicalJson(current)) return [];
    return [`${base || "(schema)"}: ${renderType(saved)} -> ${renderType(current)}`];
  }
  const out: string[] = [];
  for (const key of Object.keys(before))
    if (!Object.hasOwn(after, key))
      out.push(`field ${base}${key} was removed (saved as ${renderType(before[key])})`);
  for (const key of Object.keys(after))
    if (!Object.hasOwn(before, key)) out.push(`field ${base}${key} was added (${renderType(after[key])})`);
  for (const key of Object.keys(after)) {
    if (!Object.hasOwn(before, key)) continue;
    const a = before[key]!;
    const b = after[key]!;
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (fieldsOf(a) !== undefined && fieldsOf(b) !== undefined)
      out.push(...describeDifference(a, b, `${base}${key}.`));
    else out.push(`field ${base}${key} changed from ${renderType(a)} to ${renderType(b)}`);
  }
  if (out.length === 0 && canonicalJson(saved ?? null) !== canonicalJson(current))
    out.push(`${base || "the schema"} changed (${renderType(saved)})`);
  return out;
}
