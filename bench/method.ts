/** How the benchmarks measure, appended to BENCHMARKS.md after the tables. */
export const METHOD_NOTES = `## How it measures

- **State**: four typed arrays of a quarter of the size each (float32, float64, int32, uint8) plus
  scalar fields (number, bigint, string), declared with \`checkpointState\` and \`typedArray\`. A commit
  writes 4 \`.npy\` files, \`state.json\`, \`manifest.json\` and \`catalog.json\`.
- **Commit**: a fresh \`Checkpoint\` per run, \`run\`, \`bindCheckpointState\`, then \`session.flush(metadata)\`;
  only the flush is timed. **Restore**: a new \`Checkpoint\` on the same name; \`run\` + bind an empty
  state is timed (catalog, manifest, every object read and checked against its CRC-32, decoded);
  the restored arrays are compared with the originals afterwards.
- **Raw baselines**, same run, same bytes (the four arrays as four objects, up to 8 in flight like a
  ckpt commit): disk \`open\` + \`writeFile\` + \`fsync\` / \`readFile\`; memfs \`writeFile\` / \`readFile\`;
  S3 \`PutObject\` up to 32 MiB and \`@aws-sdk/lib-storage\` \`Upload\` (16 MiB parts, 4 in flight, as
  S3Store) above / \`GetObject\`; GCS \`file.save\` (resumable above 8 MiB, as GcsStore) / \`file.download\`.
  Raw reads compute no checksum; the ckpt restore does.
- Throughput counts the array bytes only; ckpt's extra objects (headers, state.json, manifest,
  catalog) are part of its time. Odd runs measure ckpt first, even runs the raw baseline first.
- **Small commits**: \`flushInterval: 1\`, one warm-up commit, then N timed \`write\`s through a Store
  wrapper that records each call's start and end on one clock; steps are the maximal groups of
  overlapping calls among those the \`write\` waited for; calls still running when \`write\`
  resolved are counted as left in the background.
- **Memory**: one fresh Node process per case (\`node --import tsx\`), peak = VmHWM from
  /proc/self/status, reset through /proc/self/clear_refs right before the phase. A restore from
  memfs first commits in the same process, so its peak includes memfs's copy of the data.
- The S3 and GCS servers run on the same 2-core machine as the benchmark, so they compete with it
  for CPU; the baselines pay the same price.
`;
