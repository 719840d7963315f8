/**
 * World-consistent restarts (DESIGN §6) on memfs and on a real folder: the suite from
 * `@ckpt/core/testing` (the S3 and GCS packages run it on radosgw and the GCS fixture).
 */
import { describeWorldRestart } from "../src/testing/index.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

for (const kind of memfsAndDisk("world-restart"))
  describeWorldRestart({ name: kind.name, create: kind.open });
