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
- Before every timed step the heap is collected and, on disk, \`sync(1)\` writes out what earlier
  steps left dirty, so neither side pays for the other's writeback.
- Throughput counts the array bytes only; ckpt's extra objects (headers, state.json, manifest,
  catalog) are part of its time. Odd runs measure ckpt first, even runs the raw baseline first.
- **Small commits**: \`flushInterval: 1\`, one warm-up commit, then N timed \`write\`s through a Store
  wrapper that records each call's start and end on one clock; steps are the maximal groups of
  overlapping calls among those the \`write\` waited for; calls still running when \`write\`
  resolved are counted as left in the background.
- **Memory**: one fresh Node process per case, running compiled JavaScript with no loader, as a
  production job does: before the first case esbuild bundles \`bench/memory-child.ts\` with the
  workspace's TypeScript sources (about 0.1 s; npm packages stay imports, loaded from node_modules)
  and each case runs \`node --expose-gc\` on that bundle. (Under \`node --import tsx\`, as until
  2026-11-26, the loader alone added ~33 MiB to every figure.) The "process" column is the RSS with
  Node, the modules and the store client loaded, before any state: the baseline any Node program
  using that SDK pays. Peak = VmHWM from /proc/self/status, reset through /proc/self/clear_refs
  right before the phase. A restore from
  memfs first commits in the same process, so its peak includes memfs's copy of the data, and its
  "RSS before" also the committed state (the finished checkpoint, still the current one, keeps its
  bound state for a next session); "peak − before" is the phase's own growth.
- The S3 and GCS servers run on the same 2-core machine as the benchmark, so they compete with it
  for CPU; the baselines pay the same price.
`;

/**
 * What stands between ckpt and the targets, with the evidence (written from the runs and profiles
 * of 2026-11-26; `bench/profile.ts` and `bench/checksum-overlap.ts` reproduce them).
 */
export const FINDINGS = `## Targets and what stands in the way

Measured on a shared 2-core VM with other test suites running (load average 5.5-6.6 during this
run; earlier runs at load 15-29 varied 2-5x between runs), so read medians and ratios, and re-run on
a quiet machine.

**Commit and restore ≥ 0.9 × raw from 64 MiB up.** Met: GCS commit (1.27, 1.39) and restore at
64 MiB (0.90), S3 restore (0.91, 0.91), memfs commit (1.17, 1.20). Missed: disk commit (0.58 at
64 MiB, 0.78 at 1 GiB) and restore (0.74, 0.76), S3 commit (0.77, 0.74), memfs restore (0.67, 0.88),
GCS restore at 1 GiB (0.76). What the profiles show:
- *CRC-32 on the main thread.* Every byte is summed once on commit (before its put) and once on
  restore (after its read) with \`zlib.crc32\`: 4,275 MiB/s in this run (560-3,500 MiB/s under the earlier
  load), against 1,858 MiB/s raw disk writes, so on fast media it is a large share of the time.
  \`bench/checksum-overlap.ts\` (4 × 16 MiB puts to FsStore, 10 runs, load ~17): raw 37 ms, FsStore
  without checksum 41 ms, checksum before each put 60 ms, checksum beside the put in 4 MiB slices
  56 ms; at 1 GiB (best of 6) raw 554 ms, FsStore 497 ms, before 841 ms, beside 643 ms.
  \`@node-rs/crc32\` (SIMD, the same values) summed 256 MiB at 10,422 MiB/s against zlib's 3,501 MiB/s
  (medians of 7, same moment). Proposed (core, checksum.ts and commit/objects.ts): a faster CRC-32
  and/or summing beside the I/O.
- *FsStore's durability steps* cost little on large objects (FsStore alone ≈ raw above) but two
  fsyncs per file plus a folder fsync and a lock file make each small put a few ms, so the manifest
  and catalog puts add ~7 ms to every commit (147 metadata-only commits/s in append mode).
- *S3: copies of every body.* A 64 MiB commit profile shows \`concatChunks\` (40-44 ms self time):
  S3Store joins a \`.npy\` body's two chunks (header + array) for every single PutObject up to
  32 MiB, and above that hands lib-storage a Readable of pieces, whose chunker \`Buffer.concat\`s
  every part. The 64 MiB restore profile shows \`readAll\` (117-151 ms) and \`crc32\` (87-96 ms).
- *GCS restore*: GcsStore.get gathers the chunks and then joins them (one more copy of every
  object, and twice the memory: see below). GcsStore commits faster than the raw
  \`file.save(buffer)\` baseline (ratios above 1); the two take different SDK upload paths (a Buffer
  against GcsStore's function source of ≤ 16 MiB views), not examined further.

**3 sequential round trips per commit.** Met in append mode and with \`cleanup: "background"\`, for
5 and for 40 state objects (objects in parallel, manifest, catalog); a metadata-only commit takes 2.
Missed by one in the default configuration (overwrite mode, \`cleanup: "await"\`): the deletion of
the retired commit is a 4th sequential step before \`write\`/\`flush\` resolve. Proposed (core,
options.ts): make \`"background"\` the default (\`close()\` already waits for it).

**Peak RSS of a 1 GiB commit ≤ state + 128 MiB.** Met on disk (+101 MiB, of which ~100 MiB is
Node, tsx and the modules: ckpt's own commit adds ~1 MiB, the arrays go out as views) and memfs
(+105 MiB beside memfs's own copy). Missed on GCS by 11 MiB (+139 MiB: 117 MiB process, 22 MiB of
SDK upload buffers) and on S3 by 478 MiB (+606 MiB: lib-storage copies every 16 MiB part, up to
4 parts × 4 objects in flight plus read-ahead). Proposed (store-s3): cut multipart parts from the
chunk list as views (CreateMultipartUpload / UploadPart / Complete driven by S3Store, copying only
the one part that spans the header/array boundary), and send single puts of a chunk list without
joining them. Restore (not a target): a 1 GiB GCS restore peaks ~1 GiB above the restored state;
preallocating the known size in GcsStore.get (as S3Store's \`readAll\` does) removes that copy
(store-gcs).

**Found on the way.** The benchmark's check of restored arrays caught a codec regression: arrays
under 64 KiB restored from GCS (whose SDK returns pooled Buffer slices) were decoded from the wrong
bytes, because \`Buffer#slice\` is a view; fixed in core (\`decodeNpy\`) with a test.
`;
