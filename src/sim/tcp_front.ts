/**
 * A TCP front for the loopback simulator: it listens on 127.0.0.1, opens one
 * connection to the HTTP backend per client connection and copies bytes both
 * ways, unparsed. `drop()` closes a client's connection mid-request with no
 * HTTP response, which Deno.serve cannot do: what a client sees when the
 * connection is reset or a proxy in between dies.
 * @module
 */

export interface TcpFront {
  port: number;
  /**
   * Closes, both ways, the client connection whose backend leg comes from this local port
   * (the backend sees it as the request's remote port). False if no such connection is open.
   */
  drop(backendLegPort: number): boolean;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

interface Pair {
  client: Deno.TcpConn;
  backend: Deno.TcpConn;
}

export function startTcpFront(backendPort: number, options: { port?: number } = {}): TcpFront {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: options.port ?? 0 });
  const pairs = new Map<number, Pair>();

  const closeConn = (conn: Deno.TcpConn) => {
    try {
      conn.close();
    } catch { /* already closed by the other side's end */ }
  };
  const closePair = (port: number) => {
    const pair = pairs.get(port);
    if (!pair) return false;
    pairs.delete(port);
    closeConn(pair.client);
    closeConn(pair.backend);
    return true;
  };

  const serve = async (client: Deno.TcpConn) => {
    let backend: Deno.TcpConn;
    try {
      backend = await Deno.connect({ hostname: "127.0.0.1", port: backendPort });
    } catch {
      closeConn(client);
      return;
    }
    const port = (backend.localAddr as Deno.NetAddr).port;
    pairs.set(port, { client, backend });
    // HTTP/1.1 clients do not half-close: an end on either side ends the pair.
    await Promise.race([copy(client, backend), copy(backend, client)]);
    closePair(port);
  };

  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {/* the listener closed */});

  return {
    port: (listener.addr as Deno.NetAddr).port,
    drop: closePair,
    async close() {
      listener.close();
      await accepting;
      for (const port of [...pairs.keys()]) closePair(port);
    },
  };
}

/** Copies until `from` ends or either side fails (a closed connection); never throws. */
async function copy(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) return;
      let written = 0;
      while (written < n) written += await to.write(buffer.subarray(written, n));
    }
  } catch {
    // A connection closed under a read or a write: the pair is over.
  }
}
