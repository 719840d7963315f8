/** What {@link formatCatalog} needs of a checkpoint. */
export interface CatalogHeader {
  readonly name: string;
  /** Where the catalog lives, without credentials, e.g. `file:///data/runs/my-forecast`. */
  readonly location: string;
  readonly mode: string;
  readonly level: number;
  readonly rank: number;
  readonly worldSize: number | undefined;
}

/** What {@link formatCatalog} needs of one row: metadata already decoded. */
export interface CatalogTableRow {
  readonly labels: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly writeCount: number;
  readonly savedAt: string;
}

const UNITS: readonly (readonly [name: string, ms: number])[] = [
  ["week", 7 * 24 * 3_600_000],
  ["day", 24 * 3_600_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
  ["millisecond", 1],
];

/**
 * A duration in its largest whole unit: `formatDuration(21_600_000)` is `"6 hours"`, 90 minutes is
 * `"90 minutes"`, 0 is `"0 seconds"`.
 */
export function formatDuration(milliseconds: number): string {
  if (!Number.isFinite(milliseconds)) return String(milliseconds);
  if (milliseconds === 0) return "0 seconds";
  const magnitude = Math.abs(milliseconds);
  for (const [unit, size] of UNITS) {
    if (magnitude % size === 0) {
      const count = milliseconds / size;
      return `${count} ${unit}${Math.abs(count) === 1 ? "" : "s"}`;
    }
  }
  return `${milliseconds} milliseconds`;
}

/** Whether `value` is a duration as ckpt displays it: an object `{ milliseconds: number }` and nothing else. */
function durationOf(value: object): number | undefined {
  const keys = Object.keys(value);
  const ms = (value as { milliseconds?: unknown }).milliseconds;
  return keys.length === 1 && keys[0] === "milliseconds" && typeof ms === "number" ? ms : undefined;
}

/** One cell of the catalog table. Missing values are blank. */
export function displayValue(value: unknown): string {
  if (value === undefined) return "";
  if (value === null) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (ArrayBuffer.isView(value)) {
    const items = Array.from(value as unknown as ArrayLike<number | bigint>, String);
    return `[${items.join(", ")}]`;
  }
  if (typeof value === "object") {
    const duration = durationOf(value);
    if (duration !== undefined) return formatDuration(duration);
    if (value instanceof Map) return JSON.stringify(Object.fromEntries(value), replacer);
    return JSON.stringify(value, replacer) ?? String(value);
  }
  return String(value);
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, String);
  return value;
}

/**
 * The catalog as text, as earth2studio prints it: header lines, then `catalog: empty` or a blank line and
 * a table with `id` (row position), the label keys, the metadata keys (each sorted), `writeCount`
 * and `savedAt`, left-justified, two spaces apart.
 */
export function formatCatalog(header: CatalogHeader, rows: readonly CatalogTableRow[]): string {
  const lines = [
    `Checkpoint(${JSON.stringify(header.name)})`,
    `location: ${header.location}`,
    `mode: ${header.mode}`,
    `level: ${header.level}`,
    `rank: ${header.rank}/${header.worldSize ?? "?"}`,
  ];
  if (rows.length === 0) return [...lines, "catalog: empty"].join("\n");
  const labelKeys = [...new Set(rows.flatMap((row) => Object.keys(row.labels)))].sort();
  const metadataKeys = [...new Set(rows.flatMap((row) => Object.keys(row.metadata)))].sort();
  const columns = ["id", ...labelKeys, ...metadataKeys, "writeCount", "savedAt"];
  const cells = rows.map((row, index) => [
    String(index),
    ...labelKeys.map((key) => (Object.hasOwn(row.labels, key) ? displayValue(row.labels[key]) : "")),
    ...metadataKeys.map((key) => (Object.hasOwn(row.metadata, key) ? displayValue(row.metadata[key]) : "")),
    String(row.writeCount),
    row.savedAt,
  ]);
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((row) => row[index]!.length)),
  );
  const render = (values: readonly string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]!))
      .join("  ")
      .trimEnd();
  return [...lines, "", render(columns), ...cells.map(render)].join("\n");
}
