/**
 * A real PostgreSQL server for the tests, from Debian's packages (.ci/run installs them): a fresh cluster
 * in a temporary folder, on a free loopback port, with TLS on under a self-signed certificate whose
 * subject names 127.0.0.1. Tests that need it call `startPostgres()` and skip, saying why, when the
 * server binaries are not installed. As root (CI), the server runs as the `postgres` user the package made.
 * @module
 */
import { join } from "node:path";

/** The rows a query gives on a database, over a connection of its own. */
export async function pgRows<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

export interface PgServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres, no TLS asked. */
  url: string;
  port: number;
  /** The server's certificate: the CA to trust for TLS. */
  caFile: string;
  /** A new empty database, and its URL. */
  database(name: string): Promise<string>;
  /** Stops the server (fast: open connections are cut). */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data. */
  startServer(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

const BIN_ROOT = "/usr/lib/postgresql";

/** The newest installed server's bin folder, or undefined. */
function serverBin(): string | undefined {
  try {
    const versions = [...Deno.readDirSync(BIN_ROOT)].map((e) => e.name).filter((n) => /^\d+$/.test(n))
      .sort((a, b) => Number(b) - Number(a));
    return versions.map((v) => join(BIN_ROOT, v, "bin")).find((bin) => exists(join(bin, "initdb")));
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (!serverBin()) return `no PostgreSQL server under ${BIN_ROOT} (.ci/run installs Debian's postgresql)`;
  if (Deno.uid() === 0 && !exists("/usr/sbin/runuser")) {
    return "running as root without runuser to drop to postgres";
  }
  return undefined;
}

async function run(cmd: string, args: string[], asPostgres: boolean): Promise<string> {
  const [program, argv] = asPostgres
    ? ["/usr/sbin/runuser", ["-u", "postgres", "--", cmd, ...args]]
    : [cmd, args];
  const out = await new Deno.Command(program, { args: argv, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${text}`);
  return text;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts a cluster. `durable` keeps PostgreSQL's defaults (fsync on) for benchmarks; tests turn fsync off,
 * which only matters if the machine itself crashes.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PgServer> {
  const bin = serverBin();
  if (!bin) throw new Error(postgresMissing());
  const asPostgres = Deno.uid() === 0;
  const root = await Deno.makeTempDir({ prefix: "pressroom-pg-" });
  const data = join(root, "data");
  if (asPostgres) await run("chown", ["postgres", root], false);
  await run(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], asPostgres);
  const caFile = join(root, "ca.crt");
  await run("openssl", [
    ...["req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1"],
    ...["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(data, "server.key"), "-out", caFile],
  ], false);
  await Deno.copyFile(caFile, join(data, "server.crt"));
  await Deno.chmod(join(data, "server.key"), 0o600);
  if (asPostgres) await run("chown", ["postgres", join(data, "server.key"), join(data, "server.crt")], false);
  const port = freePort();
  const settings = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses=127.0.0.1",
    "-c ssl=on",
    "-c max_connections=200",
    ...(options.durable ? [] : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]),
  ].join(" ");
  const pgCtl = (action: string[]) =>
    run(join(bin, "pg_ctl"), ["-D", data, "-l", join(root, "log"), "-w", "-t", "30", ...action], asPostgres);
  const startServer = async () => {
    await pgCtl(["-o", settings, "start"]);
  };
  await startServer();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    caFile,
    async database(name) {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stopServer: async () => {
      await pgCtl(["-m", "fast", "stop"]);
    },
    startServer,
    async close() {
      await pgCtl(["-m", "immediate", "stop"]).catch(() => {});
      await Deno.remove(root, { recursive: true });
    },
  };
}
