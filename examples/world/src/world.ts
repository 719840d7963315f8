import { checkpointState } from "@ckpt/core";
import { z } from "zod";

/** A rank's state: which rank, how many steps, and a value that depends on every step so far. */
export const RankState = checkpointState(
  "world-demo.RankState",
  z.object({ rank: z.number(), step: z.number(), value: z.number() }),
);

/** The value after `step` steps on `rank`, from the value after `step - 1` (or from scratch). */
export function expectedValue(rank: number, step: number, previous?: number): number {
  let value = previous ?? 0;
  for (let at = previous === undefined ? 1 : step; at <= step; at++)
    value = (value * 31 + rank * 7 + at) % 1_000_003;
  return value;
}

/** Where a rank told to die mid-commit SIGKILLs itself: its first object put, or its catalog swap. */
export type DieAt = "objects" | "swap";

/** The parent's "go" into a step (the stand-in for the step's collective). */
export interface GoMessage {
  readonly type: "go";
  readonly step: number;
  readonly die?: DieAt | undefined;
}

/** What a rank process tells the parent. */
export type RankMessage =
  | { type: "resumed"; rank: number; writeCount: number; ownState: boolean }
  | { type: "at"; rank: number; step: number }
  | { type: "committed"; rank: number; step: number }
  | { type: "done"; rank: number };
