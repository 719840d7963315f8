import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** The file of one member's state at one lead time, relative to the output folder. */
export function outputPath(member: number, leadHours: number): string {
  return join(`member_${String(member).padStart(2, "0")}`, `lead_${String(leadHours).padStart(4, "0")}h.f64`);
}

/**
 * Writes the state as raw little-endian Float64 values. The bytes go to a temporary file that is
 * renamed over the target, so a kill mid-write leaves either nothing or the whole file, and a rerun
 * of the same step replaces it with identical bytes.
 */
export async function writeOutput(
  outDir: string,
  member: number,
  leadHours: number,
  x: Float64Array,
): Promise<void> {
  const path = join(outDir, outputPath(member, leadHours));
  const bytes = new Uint8Array(x.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat64(i * 8, x[i]!, true);
  await mkdir(join(path, ".."), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(relative(root, path));
  }
  return out.sort();
}

/** How two output folders compare. */
export interface Comparison {
  readonly identical: boolean;
  readonly files: number;
  readonly bytes: number;
  /** The first difference, in words, when not identical. */
  readonly difference?: string;
}

/** Compares two output folders file by file, byte for byte. */
export async function compareOutputs(a: string, b: string): Promise<Comparison> {
  const [filesA, filesB] = await Promise.all([listFiles(a), listFiles(b)]);
  const setB = new Set(filesB);
  const setA = new Set(filesA);
  const onlyA = filesA.filter((file) => !setB.has(file));
  const onlyB = filesB.filter((file) => !setA.has(file));
  if (onlyA.length > 0 || onlyB.length > 0)
    return {
      identical: false,
      files: filesA.length,
      bytes: 0,
      difference:
        onlyA.length > 0
          ? `${onlyA.length} file(s) only in ${a}, e.g. ${onlyA[0]}`
          : `${onlyB.length} file(s) only in ${b}, e.g. ${onlyB[0]}`,
    };
  let bytes = 0;
  for (const file of filesA) {
    const [bytesA, bytesB] = await Promise.all([readFile(join(a, file)), readFile(join(b, file))]);
    bytes += bytesA.byteLength;
    if (!bytesA.equals(bytesB))
      return { identical: false, files: filesA.length, bytes, difference: `${file} differs` };
  }
  return { identical: true, files: filesA.length, bytes };
}
