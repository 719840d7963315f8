import { CheckpointOptionError } from "./errors.js";
import { checkpointRoot } from "./layout.js";

/**
 * Environment variables that carry a global rank, with the variable of the matching world size,
 * in the order they are consulted (DESIGN §6). `LOCAL_RANK` is deliberately absent: it numbers
 * processes within one node, so taking it as a global rank would put two nodes' rank 0 in one folder.
 */
export const RANK_VARIABLES: readonly (readonly [rank: string, size: string | undefined])[] = [
  ["RANK", "WORLD_SIZE"],
  ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"],
  ["PMI_RANK", "PMI_SIZE"],
  ["SLURM_PROCID", "SLURM_NTASKS"],
  ["JOB_COMPLETION_INDEX", undefined],
  ["BATCH_TASK_INDEX", "BATCH_TASK_COUNT"],
  ["AWS_BATCH_JOB_ARRAY_INDEX", undefined],
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

/** The rank and world size the environment announces (DESIGN §6), each `undefined` when unset. */
export function detectRank(env: Readonly<Record<string, string | undefined>> = process.env): {
  rank: number | undefined;
  worldSize: number | undefined;
  rankVariable: string | undefined;
} {
  for (const [rankVariable, sizeVariable] of RANK_VARIABLES) {
    const rank = readInteger(env, rankVariable, 0);
    if (rank === undefined) continue;
    const worldSize = sizeVariable === undefined ? undefined : readInteger(env, sizeVariable, 1);
    return { rank, worldSize, rankVariable };
  }
  return { rank: undefined, worldSize: undefined, rankVariable: undefined };
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
  };
}

/** The folder of one rank's catalog: `<name>` or `<name>/rank_000003`. */
export function rankRoot(name: string, info: Pick<RankInfo, "rank" | "ranked">): string {
  return checkpointRoot(name, info.ranked ? info.rank : undefined);
}
