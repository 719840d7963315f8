/**
 * Rank detection (DESIGN §6): which launcher variable gives the rank and the world size, and
 * whether the launcher's ranks share a step (coupled: restarts are world-consistent by default)
 * or are independent tasks of an array job (each rank restarts from its own row).
 */
import { describe, expect, it } from "vitest";
import { Checkpoint, CheckpointOptionError, detectRank } from "../src/index.js";

type Case = [Record<string, string>, number, number | undefined, "coupled" | "independent", "world" | "rank"];

describe("rank detection covers every launcher and says how its ranks relate", () => {
  const cases: Case[] = [
    [{ RANK: "3", WORLD_SIZE: "4" }, 3, 4, "coupled", "world"],
    [{ OMPI_COMM_WORLD_RANK: "2", OMPI_COMM_WORLD_SIZE: "5" }, 2, 5, "coupled", "world"],
    [{ PMI_RANK: "1", PMI_SIZE: "9" }, 1, 9, "coupled", "world"],
    // PMIx exports no size variable: the world size is unknown, so restarts stay per rank.
    [{ PMIX_RANK: "5" }, 5, undefined, "coupled", "rank"],
    [{ SLURM_PROCID: "7", SLURM_NTASKS: "8" }, 7, 8, "coupled", "world"],
    [{ AWS_BATCH_JOB_NODE_INDEX: "2", AWS_BATCH_JOB_NUM_NODES: "4" }, 2, 4, "coupled", "world"],
    [{ JOB_COMPLETION_INDEX: "4" }, 4, undefined, "independent", "rank"],
    [{ BATCH_TASK_INDEX: "2", BATCH_TASK_COUNT: "3" }, 2, 3, "independent", "rank"],
    [{ CLOUD_RUN_TASK_INDEX: "6", CLOUD_RUN_TASK_COUNT: "10" }, 6, 10, "independent", "rank"],
    [{ AWS_BATCH_JOB_ARRAY_INDEX: "6" }, 6, undefined, "independent", "rank"],
    // Slurm sets SLURM_PROCID=0 in every array element: the array index is the rank.
    [
      { SLURM_ARRAY_TASK_ID: "11", SLURM_PROCID: "0", SLURM_NTASKS: "1" },
      11,
      undefined,
      "independent",
      "rank",
    ],
    [{ SLURM_ARRAY_TASK_ID: "11", SLURM_PROCID: "0" }, 11, undefined, "independent", "rank"],
    // An array element that runs a multi-task step: its tasks are the coupled ranks.
    [{ SLURM_ARRAY_TASK_ID: "11", SLURM_PROCID: "3", SLURM_NTASKS: "4" }, 3, 4, "coupled", "world"],
  ];
  it.each(cases)("%j → rank %i of %s, %s, restart %s", (env, rank, worldSize, coupling, restart) => {
    expect(detectRank(env)).toMatchObject({ rank, worldSize, coupling });
    const checkpoint = new Checkpoint("ranks", { store: "memory://unused", env });
    expect([checkpoint.rank, checkpoint.worldSize, checkpoint.coupling, checkpoint.restart]).toEqual([
      rank,
      worldSize,
      coupling,
      restart,
    ]);
  });

  it("coupled launcher variables win over array variables set alongside them", () => {
    expect(detectRank({ RANK: "1", WORLD_SIZE: "2", JOB_COMPLETION_INDEX: "5" })).toMatchObject({
      rank: 1,
      worldSize: 2,
      coupling: "coupled",
      rankVariable: "RANK",
    });
  });

  it("no variable: rank 0 of 1, restart per rank; explicit rank and worldSize form a coupled world", () => {
    const alone = new Checkpoint("x", { store: "memory://unused", env: {} });
    expect([alone.rank, alone.worldSize, alone.restart]).toEqual([0, 1, "rank"]);
    const explicit = new Checkpoint("x", { store: "memory://unused", env: {}, rank: 1, worldSize: 4 });
    expect([explicit.coupling, explicit.restart]).toEqual(["coupled", "world"]);
    const array = new Checkpoint("x", {
      store: "memory://unused",
      env: { BATCH_TASK_INDEX: "1", BATCH_TASK_COUNT: "4" },
      restart: "world",
    });
    expect(array.restart).toBe("world");
  });

  it("refuses restart 'world' without a known world size, and an unknown restart value, naming the option", () => {
    expect(
      () => new Checkpoint("x", { store: "memory://unused", env: { PMIX_RANK: "2" }, restart: "world" }),
    ).toThrow(/restart 'world' needs a known worldSize/);
    try {
      new Checkpoint("x", { store: "memory://unused", env: {}, restart: "all" as "world" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CheckpointOptionError);
      expect((error as CheckpointOptionError).option).toBe("restart");
    }
  });

  it("refuses an array variable that is not an integer, naming it", () => {
    try {
      detectRank({ CLOUD_RUN_TASK_INDEX: "x" });
      expect.unreachable();
    } catch (error) {
      expect((error as CheckpointOptionError).option).toBe("CLOUD_RUN_TASK_INDEX");
    }
  });
});
