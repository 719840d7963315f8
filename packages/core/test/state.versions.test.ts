/**
 * States that evolve: a version and a migrate function (zustand persist's shape) restore a state
 * saved under an older schema; adding optional fields needs neither; every other change is refused
 * with a message that says how to declare the migration.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  bindCheckpointState,
  Checkpoint,
  CheckpointStateSchemaError,
  type CheckpointStateType,
  checkpointState,
  encodeState,
  restoreState,
  type StateValue,
  type Store,
  typedArray,
} from "../src/index.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

const env = {};
const stores = memfsAndDisk("versions");

const TrainerV0 = checkpointState("evolve.Trainer", z.object({ step: z.number(), rate: z.number() }));
const trainerV1Schema = z.object({ step: z.number(), lr: z.number(), losses: typedArray("float64") });

async function saveWith<T extends CheckpointStateType>(store: Store, type: T, value: StateValue<T>) {
  await new Checkpoint("evolve", { store, env }).run(async (session) => {
    bindCheckpointState(type, value);
    await session.write();
  });
}

async function readStateJson(store: Store, id: string): Promise<Record<string, unknown>> {
  const checkpoint = new Checkpoint("evolve", { store, env });
  const [row] = await checkpoint.catalog();
  const { bytes } = await store.get(`evolve/commits/${row!.commitId}/states/${id}/state.json`);
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

describe.each(stores)("versioned states ($name)", ({ open }) => {
  it("restores across a schema change through migrate(saved, fromVersion), and saves the new version", async () => {
    const store = await open();
    await saveWith(store, TrainerV0, { step: 5, rate: 0.1 });
    expect((await readStateJson(store, "evolve.Trainer")).version).toBe(0);
    const calls: [Record<string, unknown>, number][] = [];
    const TrainerV1 = checkpointState("evolve.Trainer", trainerV1Schema, {
      version: 1,
      migrate: (saved, fromVersion) => {
        calls.push([saved, fromVersion]);
        return { step: saved.step as number, lr: saved.rate as number, losses: new Float64Array([1, 2]) };
      },
    });
    const live = { step: 0, lr: 0.5, losses: new Float64Array(0) };
    await new Checkpoint("evolve", { store, env }).run(async (session) => {
      const handle = bindCheckpointState(TrainerV1, live);
      expect(handle.checkpointStateLoaded).toBe(true);
      expect(live).toEqual({ step: 5, lr: 0.1, losses: new Float64Array([1, 2]) });
      await session.write();
    });
    expect(calls).toEqual([[{ step: 5, rate: 0.1 }, 0]]);
    const json = await readStateJson(store, "evolve.Trainer");
    expect(json.version).toBe(1);
    // A state saved with the current version restores without migrating.
    const again = { step: 0, lr: 0, losses: new Float64Array(0) };
    await new Checkpoint("evolve", { store, env }).run(() => {
      bindCheckpointState(TrainerV1, again);
    });
    expect(again.lr).toBe(0.1);
    expect(calls).toHaveLength(1);
  });

  it("a changed schema without a migration is refused, naming the way forward; the live object is untouched", async () => {
    const store = await open();
    await saveWith(store, TrainerV0, { step: 5, rate: 0.1 });
    const Changed = checkpointState("evolve.Trainer", trainerV1Schema);
    const live = { step: 0, lr: 0.5, losses: new Float64Array(0) };
    let error: unknown;
    await new Checkpoint("evolve", { store, env })
      .run(() => bindCheckpointState(Changed, live))
      .catch((caught: unknown) => {
        error = caught;
      });
    expect(error).toBeInstanceOf(CheckpointStateSchemaError);
    const message = (error as Error).message;
    expect(message).toContain("field rate was removed");
    expect(message).toContain("field lr was added (number)");
    expect(message).toContain("declare a version and a migration");
    expect(message).toContain(
      'checkpointState("evolve.Trainer", schema, { version: 1, migrate: (saved, fromVersion) =>',
    );
    expect(live).toEqual({ step: 0, lr: 0.5, losses: new Float64Array(0) });
    // A version bump alone does not say how to turn the old fields into the new ones.
    const bumped = checkpointState("evolve.Trainer", trainerV1Schema, { version: 1 });
    await expect(
      new Checkpoint("evolve", { store, env }).run(() => bindCheckpointState(bumped, { ...live })),
    ).rejects.toThrow(/version 0 and this declaration version 1 without migrate: add migrate/);
  });

  it("an added optional field restores without a migration and keeps the live object's value", async () => {
    const store = await open();
    await saveWith(store, TrainerV0, { step: 5, rate: 0.1 });
    const WithOptional = checkpointState(
      "evolve.Trainer",
      z.object({
        step: z.number(),
        rate: z.number(),
        lr: z.number().optional(),
        tag: z.string().default("a"),
        note: z.string().optional().nullable(),
      }),
    );
    const live: { step: number; rate: number; lr?: number; tag: string; note?: string | null } = {
      step: 0,
      rate: 0,
      lr: 0.01,
      tag: "b",
    };
    await new Checkpoint("evolve", { store, env }).run(() => {
      bindCheckpointState(WithOptional, live);
    });
    expect(live).toEqual({ step: 5, rate: 0.1, lr: 0.01, tag: "b" });
    // A field added as nullable only (null, not absence) is a real change: refused.
    const WithNullable = checkpointState(
      "evolve.Trainer",
      z.object({ step: z.number(), rate: z.number(), note: z.string().nullable() }),
    );
    await expect(
      new Checkpoint("evolve", { store, env }).run(() =>
        bindCheckpointState(WithNullable, { step: 0, rate: 0, note: null }),
      ),
    ).rejects.toThrow(/field note was added \(nullable<string>\)/);
    // A required field added is a real change: refused.
    const WithRequired = checkpointState(
      "evolve.Trainer",
      z.object({ step: z.number(), rate: z.number(), lr: z.number() }),
    );
    await expect(
      new Checkpoint("evolve", { store, env }).run(() =>
        bindCheckpointState(WithRequired, { step: 0, rate: 0, lr: 1 }),
      ),
    ).rejects.toThrow(/field lr was added \(number\)/);
  });
});

describe("versioned states: state.json", () => {
  const encode = (type: Parameters<typeof encodeState>[0], value: object, drop?: string) => {
    const { stateJson, blobs } = encodeState(type, value);
    const json = JSON.parse(new TextDecoder().decode(stateJson)) as Record<string, unknown>;
    if (drop !== undefined) delete json[drop];
    const bytes = new Map(
      blobs.map((blob) => [
        blob.name,
        Buffer.concat(blob.chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))),
      ]),
    );
    return {
      stateJson: new TextEncoder().encode(JSON.stringify(json)),
      readBlob: (name: string) => bytes.get(name)!,
    };
  };

  it("a state.json without a version (written before versions existed) is version 0", () => {
    const saved = encode(TrainerV0, { step: 3, rate: 0.2 }, "version");
    const froms: number[] = [];
    const V2 = checkpointState("evolve.Trainer", z.object({ step: z.number(), lr: z.number() }), {
      version: 2,
      migrate: (old, fromVersion) => {
        froms.push(fromVersion);
        return { step: old.step as number, lr: old.rate as number };
      },
    });
    const target = { step: 0, lr: 0 };
    restoreState(V2, target, saved.stateJson, saved.readBlob);
    expect(target).toEqual({ step: 3, lr: 0.2 });
    expect(froms).toEqual([0]);
    // And with the same schema and no version it restores as before.
    const plain = { step: 0, rate: 0 };
    restoreState(TrainerV0, plain, saved.stateJson, saved.readBlob);
    expect(plain).toEqual({ step: 3, rate: 0.2 });
  });

  it("a state saved by a newer version is refused before anything changes", () => {
    const V3 = checkpointState("evolve.Trainer", TrainerV0.schema, { version: 3 });
    const saved = encode(V3, { step: 3, rate: 0.2 });
    const target = { step: 0, rate: 0 };
    expect(() => restoreState(TrainerV0, target, saved.stateJson, saved.readBlob)).toThrow(
      /has version 3, newer than this declaration's version 0/,
    );
    expect(target).toEqual({ step: 0, rate: 0 });
  });

  it("a migration whose result does not fit the schema, or that throws, leaves the live object untouched", () => {
    const saved = encode(TrainerV0, { step: 3, rate: 0.2 });
    const Bad = checkpointState("evolve.Trainer", z.object({ step: z.number(), lr: z.number() }), {
      version: 1,
      migrate: (old) => ({ step: old.step as number, lr: "fast" as unknown as number }),
    });
    const target = { step: 0, lr: 1 };
    expect(() => restoreState(Bad, target, saved.stateJson, saved.readBlob)).toThrow(
      /the value migrate\(saved, 0\) returned do not match the schema: lr:/,
    );
    const Throws = checkpointState("evolve.Trainer", z.object({ step: z.number(), lr: z.number() }), {
      version: 1,
      migrate: () => {
        throw new Error("no rule for version 0");
      },
    });
    expect(() => restoreState(Throws, target, saved.stateJson, saved.readBlob)).toThrow(
      /migrate\(saved, 0\) threw: no rule for version 0/,
    );
    expect(target).toEqual({ step: 0, lr: 1 });
  });

  it("refuses a version that is not a non-negative integer", () => {
    expect(() => checkpointState("evolve.Bad", z.object({}), { version: -1 })).toThrow(
      CheckpointStateSchemaError,
    );
    expect(() => checkpointState("evolve.Bad", z.object({}), { version: 1.5 })).toThrow(
      /non-negative integer/,
    );
  });
});
