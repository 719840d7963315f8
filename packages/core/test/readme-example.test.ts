import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
// Registers the memory:// (memfs) opener the example's store URL needs.
import "@ckpt/store-fs";

const here = dirname(fileURLToPath(import.meta.url));

/** The first ```ts block of packages/core/README.md: the DESIGN §5 example. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(here, "../README.md"), "utf8");
  const match = /```ts\n([\s\S]*?)```/.exec(readme);
  if (match === null) throw new Error("packages/core/README.md has no ```ts block");
  return match[1]!;
}

describe("packages/core/README.md", () => {
  const scripts: string[] = [];
  const folders: string[] = [];
  afterAll(async () => {
    for (const script of scripts) await rm(script, { force: true });
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  /** Runs the example as a module (a fresh copy each time) and returns what it printed. */
  async function runExample(source: string): Promise<string[]> {
    // Inside packages/core/test so that "@ckpt/core" and zod resolve as they do for a user.
    const script = join(here, `.readme-example-${process.pid}-${scripts.length}.ts`);
    scripts.push(script);
    await writeFile(script, source);
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(" "));
    });
    try {
      await import(pathToFileURL(script).href);
    } finally {
      log.mockRestore();
    }
    return printed;
  }

  it("the API example runs, and running it again resumes from its last row", async () => {
    // The example imports the umbrella package "ckpt", which re-exports @ckpt/core (and registers
    // @ckpt/store-fs, imported above); its folder becomes a fresh temporary one.
    const folder = await mkdtemp(join(tmpdir(), "ckpt-readme-"));
    folders.push(folder);
    const source = (await readmeExample())
      .replace('from "ckpt"', 'from "@ckpt/core"')
      .replace('"./checkpoints"', JSON.stringify(folder));
    const first = await runExample(source);
    expect(first[0]).toBe("4 138"); // commits at writes 6, 12, 18, 24; the last leadTime is 23 * 6
    expect(first[1]).toContain('Checkpoint("my-forecast")');
    expect(first[1]).toContain("leadTime");
    const second = await runExample(source);
    expect(second[0]).toBe("4 138"); // resumed at writeCount 24: nothing left to do, nothing committed
  });

  it("the root README shows the same example", async () => {
    const root = await readFile(join(here, "../../../README.md"), "utf8");
    expect(root).toContain(await readmeExample());
  });
});
