// Black-box check of the chat server with the official socket.io-client, following PROTOCOL.md.
// Usage: node client_check.mjs <url> <token> <group_id> <client_msg_id>
// Prints one JSON object per step on stdout; exits non-zero on the first failure.
import { io } from "socket.io-client";

const STEP_TIMEOUT_MS = 10000;
const [url, token, groupIdText, clientMsgId] = process.argv.slice(2);
const groupId = Number(groupIdText);

function report(step, data) {
  process.stdout.write(JSON.stringify({ step, ...data }) + "\n");
}

function fail(step, reason) {
  report(step, { ok: false, reason: String(reason) });
  process.exit(1);
}

function within(step, promise) {
  const timer = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS),
  );
  return Promise.race([promise, timer]).catch((err) => fail(step, err.message ?? err));
}

async function goodToken() {
  // Default transports: HTTP long-polling first, then the upgrade to websocket.
  const socket = io(url, { auth: { token }, reconnection: false });
  const received = new Promise((resolve) => {
    socket.on("message:new", (message) => {
      if (message.client_msg_id === clientMsgId) resolve(message);
    });
  });
  const ready = await within(
    "ready",
    new Promise((resolve, reject) => {
      socket.once("ready", resolve);
      socket.once("connect_error", (err) => reject(new Error(JSON.stringify(err.data ?? err.message))));
    }),
  );
  report("ready", { ok: true, user: ready.user, groups: ready.groups, server_time: ready.server_time });

  const ack = await within(
    "send",
    socket.timeout(STEP_TIMEOUT_MS).emitWithAck("message:send", {
      group_id: groupId,
      client_msg_id: clientMsgId,
      body: "hello from socket.io-client",
    }),
  );
  report("send", { ok: true, ack });

  const message = await within("message:new", received);
  report("message:new", { ok: true, message });

  const badType = await within(
    "bad_ids",
    socket.timeout(STEP_TIMEOUT_MS).emitWithAck("message:send", {
      group_id: String(groupId),
      client_msg_id: clientMsgId,
      body: "a string id must be rejected",
    }),
  );
  report("bad_ids", { ok: true, ack: badType });
  report("transport", { ok: true, name: socket.io.engine.transport.name });
  socket.disconnect();
}

async function badToken() {
  const socket = io(url, { auth: { token: "not-a-real-token" }, reconnection: false });
  const err = await within(
    "refused",
    new Promise((resolve, reject) => {
      socket.once("connect_error", resolve);
      socket.once("connect", () => reject(new Error("a bad token was accepted")));
    }),
  );
  report("refused", { ok: true, message: err.message, data: err.data ?? null });
  socket.close();
}

await goodToken();
await badToken();
process.exit(0);
