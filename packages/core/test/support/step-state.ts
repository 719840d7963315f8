import { z } from "zod";
import { checkpointState } from "../../src/index.js";

/** Two halves of one step's update: a committed row must never hold them unequal. */
export const StepState = checkpointState(
  "test.StepState",
  z.object({ first: z.number(), second: z.number() }),
);
