import { randomBytes } from "node:crypto";

/** `commit_<writeCount, 8 digits>_<12 random hex>`, as DESIGN §3 fixes it. */
export function newCommitId(writeCount: number): string {
  return `commit_${String(writeCount).padStart(8, "0")}_${randomBytes(6).toString("hex")}`;
}

/** Whether `text` is a commit id (also used to recognise commit folders when listing). */
export function isCommitId(text: string): boolean {
  return /^commit_\d{8,}_[0-9a-f]{12}$/.test(text);
}

/** A unique id for one catalog update, stored in catalog.json so a writer can find its own write. */
export function newUpdateId(): string {
  return randomBytes(8).toString("hex");
}
