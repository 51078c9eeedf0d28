// Fan-out benchmark receivers made of the official socket.io-client (bench/fanout.py --receiver js).
// Usage: node receiver.mjs <url> <deflate|nodeflate>   (accounts as JSON lines on stdin, then "go")
// The client's defaults offer permessage-deflate, as browsers do; "nodeflate" turns that off.
// Prints "ready <n>", then "progress <deliveries>" every PROGRESS_MS; on "stop" on stdin, one
// JSON line with the same fields as fanout_workers' receiver_done, then exits.
// Latency uses process.hrtime (CLOCK_MONOTONIC on Linux: the poster's clock).
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const PROGRESS_MS = 50;
const CONNECT_TIMEOUT_MS = 30000;
const CONNECT_CONCURRENCY = 20;
const [url, mode] = process.argv.slice(2);
const deflate = mode !== "nodeflate";

const state = {
  deliveries: 0,
  duplicates: 0,
  out_of_order: 0,
  latencies_ms: [],
  first_at: 0,
  last_at: 0,
};
const seen = new Set();
const lastSeq = new Map();
const sockets = [];

function record(userId, message) {
  const now = process.hrtime.bigint();
  const key = `${userId}:${message.id}`;
  if (seen.has(key)) {
    state.duplicates += 1;
    return;
  }
  seen.add(key);
  state.deliveries += 1;
  const stream = `${userId}:${message.group_id}`;
  const last = lastSeq.get(stream) ?? 0;
  if (message.seq < last) state.out_of_order += 1;
  lastSeq.set(stream, Math.max(last, message.seq));
  const seconds = Number(now) / 1e9;
  if (!state.first_at) state.first_at = seconds;
  state.last_at = seconds;
  if (message.sender.id !== userId) {
    const sent = BigInt(message.body.split(" ", 1)[0]);
    state.latencies_ms.push(Number(now - sent) / 1e6);
  }
}

function connectOne(account) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      auth: { token: account.token },
      transports: ["websocket"],
      reconnection: false,
      perMessageDeflate: deflate ? { threshold: 1024 } : false,
    });
    const timer = setTimeout(() => reject(new Error("connect timed out")), CONNECT_TIMEOUT_MS);
    socket.on("message:new", (message) => record(account.user_id, message));
    socket.once("ready", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", (err) => reject(err));
  });
}

async function connectAll(accounts) {
  let next = 0;
  async function lane() {
    while (next < accounts.length) {
      sockets.push(await connectOne(accounts[next++]));
    }
  }
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, lane));
}

const accounts = [];
const lines = createInterface({ input: process.stdin });
let cpuStart = null;
let ticker = null;
lines.on("line", async (line) => {
  if (line === "go") {
    await connectAll(accounts);
    process.stdout.write(`ready ${sockets.length}\n`);
    cpuStart = process.cpuUsage();
    ticker = setInterval(() => process.stdout.write(`progress ${state.deliveries}\n`), PROGRESS_MS);
  } else if (line === "stop") {
    clearInterval(ticker);
    const used = process.cpuUsage(cpuStart);
    const result = { ...state, cpu_seconds: (used.user + used.system) / 1e6 };
    for (const socket of sockets) socket.disconnect();
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  } else if (line.trim()) {
    accounts.push(JSON.parse(line));
  }
});
