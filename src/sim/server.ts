/**
 * The simulated model behind a loopback HTTP server (127.0.0.1 only), for tests
 * and for tools that want a base URL: `ANTHROPIC_BASE_URL=<url>`.
 * @module
 */
import type { Simulator } from "./simulator.ts";

export interface SimulatorServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

export function serveSimulator(sim: Simulator, options: { port?: number } = {}): SimulatorServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen() {} },
    async (request, info) => {
      // The simulator waits on its request's signal (a hung request, latency): abort it when the client
      // goes away, which `completed` reports (Deno's own request.signal also aborts after every response).
      const controller = new AbortController();
      info.completed.catch(() => controller.abort(new DOMException("The client went away.", "AbortError")));
      try {
        const { method, url, headers } = request;
        const body = method === "GET" || method === "HEAD" ? undefined : await request.arrayBuffer();
        return await sim.handle(new Request(url, { method, headers, body, signal: controller.signal }));
      } catch (error) {
        // A request that hung until the client went away: nobody reads this answer.
        if (controller.signal.aborted) return new Response(null, { status: 499 });
        throw error;
      }
    },
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
