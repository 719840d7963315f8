import { CheckpointOptionError } from "./errors.js";
import { checkpointRoot } from "./layout.js";

/**
 * How a launcher's ranks relate: `"coupled"` ranks run one job step together (torchrun, MPI, Slurm
 * tasks of one step, AWS Batch multi-node parallel jobs), so a restart must take every rank back to
 * one write boundary; `"independent"` tasks (array jobs) each do their own work and restart alone.
 */
export type RankCoupling = "coupled" | "independent";

/** One launcher's rank variable, its world-size variable, and how its ranks relate. */
export interface RankVariable {
  readonly rank: string;
  readonly size: string | undefined;
  readonly coupling: RankCoupling;
  /**
   * Consulted only when this variable is unset or at most 1: a Slurm array element is an
   * independent task unless it runs a multi-task step, whose ranks are `SLURM_PROCID`.
   */
  readonly unlessAbove?: string | undefined;
}

/**
 * Environment variables that carry a global rank, with the variable of the matching world size and
 * whether the launcher's ranks are coupled, in the order they are consulted (DESIGN §6).
 * `LOCAL_RANK` is deliberately absent: it numbers processes within one node, so taking it as a
 * global rank would put two nodes' rank 0 in one folder.
 */
export const RANK_VARIABLES: readonly RankVariable[] = [
  { rank: "RANK", size: "WORLD_SIZE", coupling: "coupled" },
  { rank: "OMPI_COMM_WORLD_RANK", size: "OMPI_COMM_WORLD_SIZE", coupling: "coupled" },
  { rank: "PMI_RANK", size: "PMI_SIZE", coupling: "coupled" },
  { rank: "PMIX_RANK", size: undefined, coupling: "coupled" },
  // Slurm also sets SLURM_PROCID=0 in every element of an array job: the array index comes first.
  { rank: "SLURM_ARRAY_TASK_ID", size: undefined, coupling: "independent", unlessAbove: "SLURM_NTASKS" },
  { rank: "SLURM_PROCID", size: "SLURM_NTASKS", coupling: "coupled" },
  { rank: "AWS_BATCH_JOB_NODE_INDEX", size: "AWS_BATCH_JOB_NUM_NODES", coupling: "coupled" },
  { rank: "JOB_COMPLETION_INDEX", size: undefined, coupling: "independent" },
  { rank: "BATCH_TASK_INDEX", size: "BATCH_TASK_COUNT", coupling: "independent" },
  { rank: "CLOUD_RUN_TASK_INDEX", size: "CLOUD_RUN_TASK_COUNT", coupling: "independent" },
  { rank: "AWS_BATCH_JOB_ARRAY_INDEX", size: undefined, coupling: "independent" },
];

/** Where this process sits among the writers of one checkpoint. */
export interface RankInfo {
  /** Global rank, 0 when nothing says otherwise. */
  readonly rank: number;
  /** Number of ranks; `undefined` when a rank is known but no size is (each rank still gets its folder). */
  readonly worldSize: number | undefined;
  /** Whether this rank writes under its own `rank_NNNNNN` folder. */
  readonly ranked: boolean;
  /** The environment variable the rank came from, when it came from one. */
  readonly rankVariable: string | undefined;
  /**
   * How the ranks relate: from the launcher variable the rank came from; `"coupled"` when the rank
   * or world size was given as an option (the caller says they form one world).
   */
  readonly coupling: RankCoupling;
}

function readInteger(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  minimum: number,
): number | undefined {
  const text = env[variable]?.trim();
  if (text === undefined || text === "") return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new CheckpointOptionError(
      variable,
      `Environment variable ${variable} must be ${minimum === 0 ? "a non-negative" : "a positive"} integer, got ${JSON.stringify(text)}.`,
    );
  return value;
}

/**
 * The rank and world size the environment announces (DESIGN §6), each `undefined` when unset, with
 * how the launcher's ranks relate (`undefined` when no rank variable is set).
 */
export function detectRank(env: Readonly<Record<string, string | undefined>> = process.env): {
  rank: number | undefined;
  worldSize: number | undefined;
  rankVariable: string | undefined;
  coupling: RankCoupling | undefined;
} {
  for (const variable of RANK_VARIABLES) {
    if (variable.unlessAbove !== undefined && (readInteger(env, variable.unlessAbove, 1) ?? 1) > 1) continue;
    const rank = readInteger(env, variable.rank, 0);
    if (rank === undefined) continue;
    const worldSize = variable.size === undefined ? undefined : readInteger(env, variable.size, 1);
    return { rank, worldSize, rankVariable: variable.rank, coupling: variable.coupling };
  }
  return { rank: undefined, worldSize: undefined, rankVariable: undefined, coupling: undefined };
}

/**
 * Resolves rank and world size: explicit values override the detected ones, each separately.
 * A rank writes under its own folder when the world size is above 1, or when a rank is known but
 * no size is (so ranks launched without a size never share one folder).
 */
export function resolveRank(
  explicit: { rank?: number | undefined; worldSize?: number | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env,
  checkpoint?: string,
): RankInfo {
  const detected = detectRank(env);
  const rank = explicit.rank ?? detected.rank;
  const worldSize = explicit.worldSize ?? detected.worldSize;
  if (rank !== undefined && worldSize !== undefined && rank >= worldSize)
    throw new CheckpointOptionError(
      explicit.rank === undefined ? (detected.rankVariable ?? "rank") : "rank",
      `rank must be less than worldSize (rank ${rank}, worldSize ${worldSize}).`,
      { checkpoint },
    );
  return {
    rank: rank ?? 0,
    worldSize: worldSize ?? (rank === undefined ? 1 : undefined),
    ranked: worldSize === undefined ? rank !== undefined : worldSize > 1,
    rankVariable: explicit.rank === undefined ? detected.rankVariable : undefined,
    coupling:
      explicit.rank === undefined && explicit.worldSize === undefined
        ? (detected.coupling ?? "coupled")
        : "coupled",
  };
}

/** The folder of one rank's catalog: `<name>` or `<name>/rank_000003`. */
export function rankRoot(name: string, info: Pick<RankInfo, "rank" | "ranked">): string {
  return checkpointRoot(name, info.ranked ? info.rank : undefined);
}
