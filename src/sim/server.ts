/**
 * The simulated model behind a loopback HTTP server (127.0.0.1 only), for tests
 * and for tools that want a base URL: `ANTHROPIC_BASE_URL=<url>`.
 *
 * Clients connect to a TCP front (tcp_front.ts) that passes bytes to a
 * Deno.serve backend, so that a connection_reset fault can close the client's
 * connection with no HTTP response, as a reset or a dying proxy does.
 *
 * A request the simulator holds (a timeout fault, or latency) ends when the
 * server closes: `close()` aborts every pending request, then shuts down. The
 * server does not follow Deno's `request.signal`, whose legacy behaviour (it
 * also aborts after every delivered response) prints a warning once touched;
 * a client that gives up simply stops listening, as with the real API.
 * @module
 */
import { ConnectionResetError } from "./faults.ts";
import type { Simulator } from "./simulator.ts";
import { startTcpFront } from "./tcp_front.ts";

export interface SimulatorServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

export function serveSimulator(sim: Simulator, options: { port?: number } = {}): SimulatorServer {
  const pending = new Set<AbortController>();
  let dropConnection = (_port: number) => false;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request, info) => {
      const controller = new AbortController();
      pending.add(controller);
      try {
        const { method, url, headers } = request;
        const body = method === "GET" || method === "HEAD" ? undefined : await request.arrayBuffer();
        return await sim.handle(new Request(url, { method, headers, body, signal: controller.signal }));
      } catch (error) {
        // Held until the server closed: nobody is waiting for this answer.
        if (controller.signal.aborted) return new Response(null, { status: 503 });
        if (error instanceof ConnectionResetError && dropConnection(info.remoteAddr.port)) {
          // Never delivered: the front has already closed both legs of this connection.
          return new Response(null, { status: 502 });
        }
        throw error;
      } finally {
        pending.delete(controller);
      }
    },
  );
  const front = startTcpFront(server.addr.port, { port: options.port });
  dropConnection = front.drop;
  return {
    url: `http://127.0.0.1:${front.port}`,
    close: async () => {
      for (const controller of pending) {
        controller.abort(new DOMException("The server closed.", "AbortError"));
      }
      await front.close();
      await server.shutdown();
    },
  };
}
