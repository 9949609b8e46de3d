/**
 * The simulated model behind a loopback HTTP server (127.0.0.1 only), for tests
 * and for tools that want a base URL: `ANTHROPIC_BASE_URL=<url>`.
 *
 * A request the simulator holds (a timeout fault, or latency) ends when the
 * server closes: `close()` aborts every pending request, then shuts down. The
 * server does not follow Deno's `request.signal`, whose legacy behaviour (it
 * also aborts after every delivered response) prints a warning once touched;
 * a client that gives up simply stops listening, as with the real API.
 * @module
 */
import type { Simulator } from "./simulator.ts";

export interface SimulatorServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

export function serveSimulator(sim: Simulator, options: { port?: number } = {}): SimulatorServer {
  const pending = new Set<AbortController>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen() {} },
    async (request) => {
      const controller = new AbortController();
      pending.add(controller);
      try {
        const { method, url, headers } = request;
        const body = method === "GET" || method === "HEAD" ? undefined : await request.arrayBuffer();
        return await sim.handle(new Request(url, { method, headers, body, signal: controller.signal }));
      } catch (error) {
        // Held until the server closed: nobody is waiting for this answer.
        if (controller.signal.aborted) return new Response(null, { status: 503 });
        throw error;
      } finally {
        pending.delete(controller);
      }
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => {
      for (const controller of pending) {
        controller.abort(new DOMException("The server closed.", "AbortError"));
      }
      return server.shutdown();
    },
  };
}
