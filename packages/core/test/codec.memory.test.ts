import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const script = fileURLToPath(new URL("./fixtures/encode-memory.ts", import.meta.url));
const MiB = 2 ** 20;

interface Measurement {
  arrayBytes: number;
  blobSize: number;
  sharesBuffer: boolean;
  copied: number;
  afterAlloc: { rss: number; arrayBuffers: number; peakRss: number };
  afterEncode: { rss: number; arrayBuffers: number; peakRss: number };
  growth: { rss: number; arrayBuffers: number; peakRss: number };
  decode?: { sharesBuffer: boolean; arrayBuffers: number; peakRss: number };
}

function measure(mode?: "copy"): Measurement {
  const args = ["--import", "tsx", "--conditions=@ckpt/source", script, ...(mode ? [mode] : [])];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8" })) as Measurement;
}

const mib = (n: number) => `${(n / MiB).toFixed(2)} MiB`;

describe("encoding a 256 MiB Float32Array", () => {
  it("makes no second copy: the .npy body is the array's own buffer", () => {
    const result = measure();
    // Reported, not asserted (RSS depends on the allocator); the ArrayBuffer accounting below is exact.
    console.log(
      `encode 256 MiB Float32Array: peak RSS ${mib(result.afterAlloc.peakRss)} -> ${mib(result.afterEncode.peakRss)} (+${mib(result.growth.peakRss)}), ` +
        `arrayBuffers +${result.growth.arrayBuffers} bytes`,
    );
    expect(result.arrayBytes).toBe(256 * MiB);
    expect(result.sharesBuffer).toBe(true);
    expect(result.blobSize).toBeGreaterThan(result.arrayBytes);
    // Only the header (<= 64 KiB) is new memory; a copy would add 256 MiB.
    expect(result.growth.arrayBuffers).toBeLessThan(MiB);
  });

  it("decodes it back as a view of the bytes read, without a second copy", () => {
    const result = measure();
    console.log(
      `decode 256 MiB .npy: peak RSS +${mib(result.decode!.peakRss)}, arrayBuffers +${result.decode!.arrayBuffers} bytes`,
    );
    expect(result.decode!.sharesBuffer).toBe(true);
    expect(result.decode!.arrayBuffers).toBeLessThan(MiB);
  });

  it("would show a copy if there were one (control: concatenating the chunks)", () => {
    const result = measure("copy");
    console.log(
      `control (Buffer.concat of the chunks): peak RSS +${mib(result.growth.peakRss)}, arrayBuffers +${mib(result.growth.arrayBuffers)}`,
    );
    expect(result.copied).toBe(result.blobSize);
    expect(result.growth.arrayBuffers).toBeGreaterThan(200 * MiB);
  });
});
