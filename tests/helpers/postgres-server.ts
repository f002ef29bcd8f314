// A throwaway PostgreSQL cluster from Debian's binaries, for tests. initdb and postgres refuse to run
// as root, so as root they run as the `postgres` user in a directory that user owns.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export interface PostgresServer {
  url: string;
  stop(): void;
}

function findBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(path.join(base, v, "bin", "initdb"))) return path.join(base, v, "bin");
  throw new Error(
    "PostgreSQL server binaries not found. Install them (apt-get install -y postgresql) or set TEST_DATABASE_URL to a server the tests may create databases on.",
  );
}

/** `settings`: extra server settings (`-c name=value`), e.g. a bench's `shared_buffers`. */
export function startPostgres(port: number, settings: Record<string, string> = {}): PostgresServer {
  const bin = findBinDir();
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-pg-"));
  const asRoot = process.getuid?.() === 0;
  let uid = -1;
  if (asRoot) {
    uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ["runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args]] as const : [path.join(bin, cmd), args] as const;
    const result = spawnSync(full[0], [...full[1]], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
  };
  const data = path.join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
  run("pg_ctl", [
    "-D", data, "-l", path.join(dir, "log"), "-w", "-o",
    [`-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(" "),
    "start",
  ]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates an empty database with a random name (`<prefix>_<hex>`) on a server and returns its URL. */
export async function createDatabaseOn(serverUrl: string, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
