/**
 * The serving benchmark's own HTTP/1.1 load client: keep-alive sockets written and read directly,
 * in two modes —
 *
 * - {@link closedLoad}: each connection sends a request, waits for its response, sends the next
 *   (no pipelining), for a fixed number of requests: the maximum rate at that concurrency;
 * - {@link pacedLoad}: an open loop at a steady rate, requests spread evenly over each millisecond
 *   (not sent in per-second bursts, as autocannon's overallRate does), latency from each request's
 *   *scheduled* time (no coordinated omission), µs resolution.
 *
 * Why not only autocannon: on 2 cores shared with the server and PostgreSQL, the client's own CPU
 * per request is taken from the server. autocannon costs ~25–45 µs of CPU per request here (its
 * request iterator, histograms and per-request bookkeeping); this client about a third of that
 * (measured and reported by the benchmark: `clientCpuMicros`), so more of the machine goes to what
 * is measured. It parses only what it needs, from the bytes: the status code and Content-Length
 * (fastify's JSON replies carry it, lowercase).
 */
import { connect, type Socket } from "node:net";

/** Latency and rate figures of one load run; latencies in ms. */
export interface ClientResult {
  readonly requestsPerSecond: number;
  readonly completed: number;
  readonly non2xx: number;
  /** Count of each non-2xx status code (e.g. 503 while decisions cannot be stored fast enough). */
  readonly non2xxByStatus: Record<string, number>;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly durationSeconds: number;
  /** This process's CPU (user + system) per completed request, µs. */
  readonly clientCpuMicros: number;
}

/** What a {@link pacedLoad} run measured besides the latencies. */
export interface PacedResult extends ClientResult {
  readonly targetRate: number;
  /** How late the client's 1 ms send timer fired (p99 and max, ms): the load generator's own delays. */
  readonly timerLateP99Ms: number;
  readonly timerLateMaxMs: number;
}

interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Request bodies, sent in turn. */
  readonly bodies: readonly string[];
  /** Keep-alive sockets. @default 16 */
  readonly connections?: number;
}

/** One keep-alive socket and the start times of the requests it waits for (oldest first). */
interface Connection {
  readonly socket: Socket;
  readonly waiting: number[];
}

/** Whole HTTP requests (head and body), one per body. */
function requestBuffers(target: Target): Buffer[] {
  const url = new URL(target.url);
  const headers = Object.entries(target.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return target.bodies.map((body) =>
    Buffer.from(
      `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\n${headers}` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  );
}

const EMPTY = Buffer.alloc(0);
const HEAD_END = Buffer.from("\r\n\r\n");
/** The header name as fastify (and Node) write it: lowercase. */
const CONTENT_LENGTH = Buffer.from("\r\ncontent-length:", "latin1");

/** The status code of the response starting at `at` ("HTTP/1.1 200 …"), read from its bytes. */
function statusCode(buffer: Buffer, at: number): number {
  return (buffer[at + 9]! - 48) * 100 + (buffer[at + 10]! - 48) * 10 + (buffer[at + 11]! - 48);
}

/** The Content-Length of the head in `buffer[at … end)` (0 when absent), read from its bytes. */
function contentLength(buffer: Buffer, at: number, end: number): number {
  const name = buffer.indexOf(CONTENT_LENGTH, at);
  if (name < 0 || name > end) return 0;
  let i = name + CONTENT_LENGTH.length;
  while (buffer[i] === 32) i++;
  let length = 0;
  for (let digit = buffer[i]! - 48; digit >= 0 && digit <= 9; digit = buffer[++i]! - 48) length = length * 10 + digit;
  return length;
}

/** Opens the sockets; `onResponse(connection, status, startedAt)` is called for each response in order. */
async function openConnections(
  target: Target,
  onResponse: (connection: Connection, status: number, startedAt: number) => void,
  onError: (connection: Connection) => void,
): Promise<Connection[]> {
  const url = new URL(target.url);
  return Promise.all(
    Array.from(
      { length: target.connections ?? 16 },
      () =>
        new Promise<Connection>((resolve, reject) => {
          const socket = connect(Number(url.port), url.hostname, () => resolve(connection));
          const connection: Connection = { socket, waiting: [] };
          let buffer: Buffer = EMPTY;
          socket.setNoDelay(true);
          socket.on("error", (error) => {
            onError(connection);
            reject(error);
          });
          socket.on("data", (chunk: Buffer) => {
            buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
            let at = 0;
            for (;;) {
              const end = buffer.indexOf(HEAD_END, at);
              if (end < 0) break;
              const length = contentLength(buffer, at, end);
              if (buffer.length < end + 4 + length) break;
              onResponse(connection, statusCode(buffer, at), connection.waiting.shift()!);
              at = end + 4 + length;
            }
            buffer = at === buffer.length ? EMPTY : buffer.subarray(at);
          });
        }),
    ),
  );
}

/** Adds one response status to the non-2xx tally; returns whether it was one. */
function tallyStatus(byStatus: Record<string, number>, status: number): boolean {
  if (status >= 200 && status < 300) return false;
  byStatus[status] = (byStatus[status] ?? 0) + 1;
  return true;
}

/** Percentiles of latencies (ms, 3 decimals). */
function latencyFigures(
  latencies: Float64Array,
  count: number,
): Pick<ClientResult, "p50Ms" | "p90Ms" | "p99Ms" | "maxMs"> {
  const sorted = latencies.slice(0, count).sort();
  const at = (q: number): number =>
    Number((sorted[Math.min(count - 1, Math.floor(q * count))] ?? Number.NaN).toFixed(3));
  return {
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: Number((sorted[count - 1] ?? Number.NaN).toFixed(3)),
  };
}

const cpuMicros = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

/**
 * `amount` requests over `connections` sockets, each sending its next request when the previous
 * response arrived (closed loop, no pipelining). Latency from each request's send. No request is
 * sent after `maxSeconds` (default 60): on a crowded machine the run ends early rather than late.
 */
export async function closedLoad(
  target: Target & { readonly amount: number; readonly maxSeconds?: number },
): Promise<ClientResult> {
  const requests = requestBuffers(target);
  const latencies = new Float64Array(target.amount);
  let sent = 0;
  let completed = 0;
  let non2xx = 0;
  const non2xxByStatus: Record<string, number> = {};
  let errors = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let deadline = Number.POSITIVE_INFINITY;
  const send = (connection: Connection): void => {
    if (sent >= target.amount || performance.now() > deadline) return;
    connection.waiting.push(performance.now());
    connection.socket.write(requests[sent++ % requests.length]!);
  };
  const connections = await openConnections(
    target,
    (connection, status, startedAt) => {
      latencies[completed++] = performance.now() - startedAt;
      if (tallyStatus(non2xxByStatus, status)) non2xx++;
      send(connection);
      if (completed + errors >= sent) finish();
    },
    (connection) => {
      errors += connection.waiting.length;
      connection.waiting.length = 0;
      if (completed + errors >= sent) finish();
    },
  );
  const cpu = process.cpuUsage();
  const started = performance.now();
  deadline = started + (target.maxSeconds ?? 60) * 1000;
  for (const connection of connections) send(connection);
  await done;
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = cpuMicros(cpu);
  for (const { socket } of connections) socket.destroy();
  return {
    requestsPerSecond: Math.round(completed / seconds),
    completed,
    non2xx,
    non2xxByStatus,
    errors,
    ...latencyFigures(latencies, completed),
    durationSeconds: Number(seconds.toFixed(3)),
    clientCpuMicros: Number((clientCpu / completed).toFixed(1)),
  };
}

/**
 * An open-loop load at a steady `rate` for `durationSeconds`: on each 1 ms tick the client sends
 * what the schedule owes, each request stamped with its own scheduled time, to the socket with the
 * fewest outstanding (HTTP/1.1 pipelining: a request due while its socket is busy queues behind
 * it, as it would at a real client).
 */
export async function pacedLoad(
  target: Target & { readonly rate: number; readonly durationSeconds: number },
): Promise<PacedResult> {
  const requests = requestBuffers(target);
  const latencies = new Float64Array(Math.ceil(target.rate * target.durationSeconds) + 16);
  const lateness: number[] = [];
  let completed = 0;
  let non2xx = 0;
  const non2xxByStatus: Record<string, number> = {};
  let errors = 0;
  const connections = await openConnections(
    target,
    (_connection, status, scheduled) => {
      latencies[completed++] = performance.now() - scheduled;
      if (tallyStatus(non2xxByStatus, status)) non2xx++;
    },
    (connection) => {
      errors += connection.waiting.length;
      connection.waiting.length = 0;
    },
  );
  const cpu = process.cpuUsage();
  let sent = 0;
  const started = performance.now();
  let lastTick = started;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      lateness.push(Math.max(0, now - lastTick - 1));
      lastTick = now;
      const elapsed = (now - started) / 1000;
      if (elapsed >= target.durationSeconds) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor(elapsed * target.rate);
      for (; sent < due; sent++) {
        let connection = connections[0]!;
        for (const candidate of connections)
          if (candidate.waiting.length < connection.waiting.length) connection = candidate;
        connection.waiting.push(started + (sent / target.rate) * 1000);
        connection.socket.write(requests[sent % requests.length]!);
      }
    }, 1);
  });
  const deadline = performance.now() + 10_000;
  while (connections.some((c) => c.waiting.length > 0) && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = cpuMicros(cpu);
  for (const { socket, waiting } of connections) {
    errors += waiting.length;
    socket.destroy();
  }
  const late = Float64Array.from(lateness).sort();
  return {
    targetRate: target.rate,
    requestsPerSecond: Math.round(completed / seconds),
    completed,
    non2xx,
    non2xxByStatus,
    errors,
    ...latencyFigures(latencies, completed),
    durationSeconds: Number(seconds.toFixed(3)),
    clientCpuMicros: Number((clientCpu / Math.max(1, completed)).toFixed(1)),
    timerLateP99Ms: Number((late[Math.floor(0.99 * late.length)] ?? 0).toFixed(3)),
    timerLateMaxMs: Number((late[late.length - 1] ?? 0).toFixed(3)),
  };
}
