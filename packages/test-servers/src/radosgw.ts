/**
 * Starts a throw-away Ceph RADOS Gateway on 127.0.0.1 for the S3 store tests: one monitor, one
 * `memstore` OSD and radosgw with the `beast` frontend, all under one temporary folder, auth
 * `none`, pool size 1. Installs the Debian packages first when they are missing and we are root.
 *
 * Facts this relies on (Ceph 16 from Debian 12): the monitor must be given a v1 address (msgr2
 * is off), the cluster log must be pointed into the temp folder (else /var/log/ceph), and the OSD
 * sometimes exits at its first start with "wrong fsid" and comes up on a retry.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

const run = promisify(execFile);

/** What a test needs to reach the gateway. */
export interface RadosgwInfo {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** S3 client options for the gateway: its endpoint, region and keys, with path-style addressing. */
export function radosgwS3Config(server: RadosgwInfo): S3ClientConfig {
  return {
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  };
}

export interface RadosgwServer extends RadosgwInfo {
  /** The temporary folder holding config, data and logs (removed by `stop`). */
  readonly dir: string;
  /** Process ids of the daemons, for the leak check. */
  readonly pids: readonly number[];
  /** Kills every daemon this server started and removes its folder. */
  stop(): Promise<void>;
}

const PACKAGES = ["radosgw", "ceph-mon", "ceph-osd", "ceph-common"] as const;
const BINARIES = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "monmaptool"] as const;
const INSTALL_HINT = `apt-get install -y --no-install-recommends ${PACKAGES.join(" ")}`;

async function which(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":").concat(["/usr/bin", "/usr/sbin"])) {
    const path = join(dir, binary);
    if (existsSync(path)) return path;
  }
  return undefined;
}

async function missingBinaries(): Promise<string[]> {
  const missing: string[] = [];
  for (const binary of BINARIES) if ((await which(binary)) === undefined) missing.push(binary);
  return missing;
}

/** Installs radosgw and friends from Debian when missing; only as root, never silently otherwise. */
export async function ensureRadosgwInstalled(log: (line: string) => void = () => {}): Promise<void> {
  let missing = await missingBinaries();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `The S3 store tests need Ceph RADOS Gateway (missing: ${missing.join(", ")}). Install it with \`sudo ${INSTALL_HINT}\` (Debian/Ubuntu) and run the tests again.`,
    );
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // Another process (a parallel test run, the benchmarks) may be installing at the same moment.
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  const install = () =>
    run("apt-get", [...lock, "install", "-y", "--no-install-recommends", ...PACKAGES], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  log(`installing ${PACKAGES.join(" ")} with apt-get`);
  try {
    await install();
  } catch {
    // A fresh machine often has no package lists yet.
    log("apt-get install failed; running apt-get update and trying again");
    await run("apt-get", [...lock, "update"], { env, maxBuffer: 64 * 1024 * 1024 });
    await install();
  }
  missing = await missingBinaries();
  if (missing.length > 0)
    throw new Error(`apt-get installed ${PACKAGES.join(" ")} but ${missing.join(", ")} is still missing`);
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts of the OSD before giving up (it sometimes exits with "wrong fsid" while the monitor settles). */
const OSD_ATTEMPTS = 6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, or fails naming `what` after `timeoutMs`. */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  alive?: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    alive?.();
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
mon warn on insecure global id reclaim allowed = false
ms bind msgr2 = false
ms bind ipv6 = false
public network = 127.0.0.0/8
osd objectstore = memstore
memstore device bytes = 12884901888
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon cluster log file = ${dir}/log/mon-cluster.log
log file = ${dir}/log/$name.log
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
crash dir = ${dir}/crash
mon data = ${dir}/mon/ceph-$id
osd data = ${dir}/osd/ceph-$id
keyring = ${dir}/keyring

[client.rgw]
# tcp_nodelay: without it every small GET (a catalog, a manifest) waits ~40 ms for the client's
# delayed ACK before its body leaves (Nagle), which no client setting avoids.
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
rgw data = ${dir}/rgw
rgw enable usage log = false
# Tails of overwritten or deleted objects (>4 MiB) stay in memstore's RAM until rgw's garbage
# collector removes them, by default after 2 hours; a long run (the benchmarks) would fill memory.
rgw gc obj min wait = 30
rgw gc processor period = 10
`;
}

/**
 * Starts one gateway and creates `bucket` in it. Costly enough to share one per run (BENCHMARKS.md,
 * "What the test set-up rests on"), and it holds whatever the tests store (memstore keeps objects in RAM).
 */
export async function startRadosgw(
  options: { bucket?: string; log?: (line: string) => void } = {},
): Promise<RadosgwServer> {
  const log = options.log ?? (() => {});
  await ensureRadosgwInstalled(log);
  const dir = await mkdtemp(join(tmpdir(), "ckpt-radosgw-"));
  const children: ChildProcess[] = [];
  let reaper: ChildProcess | undefined;
  const conf = join(dir, "ceph.conf");
  const ceph = (...args: string[]) =>
    run("ceph", ["-c", conf, "--connect-timeout", "10", ...args], { timeout: 30_000 });

  const daemon = (name: string, command: string, args: string[]): ChildProcess => {
    const out = createWriteStream(join(dir, "log", `${name}.out`));
    const child = spawn(command, ["-c", conf, "-f", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
  const stop = async (keepDir = false) => {
    reaper?.kill("SIGKILL");
    // memstore data is disposable, so there is nothing to shut down cleanly (a TERMed OSD waits
    // seconds for the monitor to acknowledge).
    for (const child of children) if (!exited(child)) child.kill("SIGKILL");
    while (children.some((child) => !exited(child))) await sleep(50);
    if (!keepDir) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    for (const sub of ["mon/ceph-a", "osd/ceph-0", "run", "log", "rgw", "crash"])
      await run("mkdir", ["-p", join(dir, sub)]);
    await writeFile(join(dir, "keyring"), "");
    const fsid = randomUUID();
    const monPort = await freePort();
    let rgwPort = await freePort();
    while (rgwPort === monPort) rgwPort = await freePort();
    await writeFile(conf, cephConf(dir, fsid, monPort, rgwPort));

    log(`starting ceph-mon on 127.0.0.1:${monPort} in ${dir}`);
    await run("monmaptool", [
      "--create",
      "--addv",
      "a",
      `v1:127.0.0.1:${monPort}`,
      "--fsid",
      fsid,
      join(dir, "monmap"),
    ]);
    await run("ceph-mon", ["-c", conf, "--mkfs", "-i", "a", "--monmap", join(dir, "monmap")]);
    const mon = daemon("mon.a", "ceph-mon", ["-i", "a"]);
    const monAlive = () => {
      if (exited(mon)) throw new Error(`ceph-mon exited (${mon.exitCode ?? mon.signalCode}); see ${dir}/log`);
    };
    await waitFor(
      "ceph-mon to form a quorum",
      async () => {
        await ceph("mon", "stat");
        return true;
      },
      30_000,
      monAlive,
    );

    const osdUuid = randomUUID();
    const osdId = (await ceph("osd", "new", osdUuid)).stdout.trim();
    log(`starting ceph-osd.${osdId} (memstore)`);
    let osd: ChildProcess | undefined;
    for (let attempt = 1; ; attempt++) {
      await rm(join(dir, "osd", `ceph-${osdId}`), { recursive: true, force: true });
      await run("mkdir", ["-p", join(dir, "osd", `ceph-${osdId}`)]);
      await run("ceph-osd", ["-c", conf, "-i", osdId, "--mkfs", "--osd-uuid", osdUuid]);
      osd = daemon(`osd.${osdId}.${attempt}`, "ceph-osd", ["-i", osdId]);
      const started = osd;
      try {
        await waitFor(
          "ceph-osd to come up",
          async () => JSON.parse((await ceph("osd", "stat", "-f", "json")).stdout).num_up_osds === 1,
          30_000,
          () => {
            monAlive();
            if (exited(started))
              throw new Error(`ceph-osd exited (${started.exitCode ?? started.signalCode})`);
          },
        );
        break;
      } catch (error) {
        // The known early-start failure ("wrong fsid") goes away on a retry.
        const output = await readFile(join(dir, "log", `osd.${osdId}.${attempt}.out`), "utf8").catch(
          () => "",
        );
        const osdLog = await readFile(join(dir, "log", `osd.${osdId}.log`), "utf8").catch(() => "");
        const clues = osdLog
          .split("\n")
          .filter((line) => /fsid|fail|error/i.test(line))
          .slice(-6)
          .join("\n");
        log(
          `ceph-osd attempt ${attempt} failed: ${(error as Error).message} ${output.slice(-400)}\n${clues}`,
        );
        if (!exited(started)) started.kill("SIGKILL");
        if (attempt >= OSD_ATTEMPTS)
          throw new Error(`ceph-osd did not start after ${OSD_ATTEMPTS} attempts; see ${dir}/log`);
        await sleep(500 * attempt);
      }
    }

    log(`starting radosgw on 127.0.0.1:${rgwPort}`);
    const rgw = daemon("client.rgw", "radosgw", ["-n", "client.rgw"]);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor(
      "radosgw to answer HTTP",
      async () => (await fetch(endpoint, { signal: AbortSignal.timeout(2_000) })).status === 200,
      60_000,
      () => {
        monAlive();
        if (exited(rgw))
          throw new Error(`radosgw exited (${rgw.exitCode ?? rgw.signalCode}); see ${dir}/log`);
      },
    );

    // If the test runner is killed outright, this watchdog still takes the daemons down.
    const pids = children.filter((child) => !exited(child)).map((child) => child.pid as number);
    reaper = spawn(
      "sh",
      [
        "-c",
        `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pids.join(" ")} 2>/dev/null; rm -rf '${dir}'`,
      ],
      { stdio: "ignore", detached: true },
    );
    reaper.unref();

    const accessKeyId = `CKPT${randomBytes(8).toString("hex").toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString("base64url");
    await run("radosgw-admin", [
      "-c",
      conf,
      "user",
      "create",
      "--uid=ckpt-test",
      "--display-name=ckpt test",
      `--access-key=${accessKeyId}`,
      `--secret-key=${secretAccessKey}`,
    ]);
    const region = "us-east-1";
    const bucket = options.bucket ?? "ckpt-test";
    const client = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
    log(`radosgw ready at ${endpoint}, bucket ${bucket}`);
    return { endpoint, region, bucket, accessKeyId, secretAccessKey, dir, pids, stop: () => stop() };
  } catch (error) {
    // The folder stays for diagnosis; every process goes.
    await stop(true).catch(() => {});
    throw new Error(`Could not start radosgw (logs in ${dir}/log): ${(error as Error).message}`, {
      cause: error,
    });
  }
}
