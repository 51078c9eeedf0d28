// Node.js reference for bench/fanout.py: the subset of PROTOCOL.md the benchmark uses, written
// the idiomatic way (node:http, socket.io rooms, better-sqlite3 in WAL mode). Not a product:
// no password hashing, tokens in memory. Usage: node server.mjs <port> <sqlite-file>
import http from "node:http";
import crypto from "node:crypto";
import Database from "better-sqlite3";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? 8010);
const db = new Database(process.argv[3] ?? ":memory:");
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(`
  CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL,
    display_name TEXT NOT NULL, password TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
    created_at TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS memberships (group_id INTEGER, user_id INTEGER,
    PRIMARY KEY (group_id, user_id));
  CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL,
    seq INTEGER NOT NULL, sender_id INTEGER NOT NULL, client_msg_id TEXT NOT NULL,
    body TEXT NOT NULL, created_at TEXT NOT NULL,
    UNIQUE (group_id, seq), UNIQUE (sender_id, client_msg_id));
`);
const q = {
  addUser: db.prepare("INSERT INTO users (username, display_name, password) VALUES (?, ?, ?)"),
  userByName: db.prepare("SELECT id, username, display_name FROM users WHERE username = ?"),
  addGroup: db.prepare("INSERT INTO groups (name, created_at) VALUES (?, ?)"),
  group: db.prepare("SELECT id, name, created_at, last_seq FROM groups WHERE id = ?"),
  addMember: db.prepare("INSERT OR IGNORE INTO memberships (group_id, user_id) VALUES (?, ?)"),
  isMember: db.prepare("SELECT 1 FROM memberships WHERE group_id = ? AND user_id = ?"),
  heads: db.prepare(
    "SELECT g.id, g.last_seq FROM groups g JOIN memberships m ON m.group_id = g.id WHERE m.user_id = ?",
  ),
  existing: db.prepare("SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?"),
  bump: db.prepare("UPDATE groups SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq"),
  insert: db.prepare(
    "INSERT INTO messages (group_id, seq, sender_id, client_msg_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
  ),
};
const tokens = new Map(); // token -> user

const store = db.transaction((user, groupId, clientMsgId, body) => {
  if (!q.isMember.get(groupId, user.id)) return null;
  const old = q.existing.get(user.id, clientMsgId);
  if (old) return { created: false, message: { ...old, sender: user } };
  const { last_seq: seq } = q.bump.get(groupId);
  const createdAt = new Date().toISOString();
  const { id } = q.insert.get(groupId, seq, user.id, clientMsgId, body, createdAt);
  return {
    created: true,
    message: { id, group_id: groupId, seq, sender: user, client_msg_id: clientMsgId, body, created_at: createdAt },
  };
});

function reply(res, status, data) {
  const text = JSON.stringify(data);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function caller(req) {
  const header = req.headers.authorization ?? "";
  return header.startsWith("Bearer ") ? tokens.get(header.slice(7)) : undefined;
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://x");
    const path = url.pathname;
    if (req.method === "GET" && path === "/healthz") return reply(res, 200, { status: "ok" });
    if (req.method === "POST" && path === "/api/auth/register") {
      const { username, password } = await readJson(req);
      try {
        q.addUser.run(username, username, password);
      } catch {
        return reply(res, 409, { error: { code: "username_taken", message: "taken" } });
      }
      const user = q.userByName.get(username);
      const token = crypto.randomBytes(32).toString("hex");
      tokens.set(token, user);
      return reply(res, 201, { user, token });
    }
    const user = caller(req);
    if (!user) return reply(res, 401, { error: { code: "unauthorized", message: "token" } });
    if (req.method === "POST" && path === "/api/groups") {
      const { name, members = [] } = await readJson(req);
      const { lastInsertRowid: id } = q.addGroup.run(name, new Date().toISOString());
      q.addMember.run(id, user.id);
      for (const member of members) q.addMember.run(id, q.userByName.get(member).id);
      return reply(res, 201, q.group.get(id));
    }
    const match = /^\/api\/groups\/(\d+)(\/messages)?$/.exec(path);
    if (match && req.method === "GET" && !match[2]) {
      const groupId = Number(match[1]);
      if (!q.isMember.get(groupId, user.id)) return reply(res, 404, { error: { code: "not_found", message: "group" } });
      return reply(res, 200, q.group.get(groupId));
    }
    if (match && req.method === "POST" && match[2]) {
      const groupId = Number(match[1]);
      const { client_msg_id: clientMsgId, body } = await readJson(req);
      const outcome = store(user, groupId, clientMsgId, body);
      if (!outcome) return reply(res, 404, { error: { code: "not_found", message: "group" } });
      if (outcome.created) io.to(`group:${groupId}`).emit("message:new", outcome.message);
      return reply(res, outcome.created ? 201 : 200, outcome.message);
    }
    return reply(res, 404, { error: { code: "not_found", message: "route" } });
  } catch (err) {
    return reply(res, 500, { error: { code: "internal_error", message: String(err) } });
  }
});

const io = new Server(server, { path: "/socket.io", serveClient: false });
io.use((socket, next) => {
  const user = tokens.get(socket.handshake.auth?.token);
  if (!user) {
    const err = new Error("unauthorized");
    err.data = { code: "unauthorized", message: "A valid token is required." };
    return next(err);
  }
  socket.data.user = user;
  next();
});
io.on("connection", (socket) => {
  const user = socket.data.user;
  const heads = q.heads.all(user.id);
  socket.join(heads.map((g) => `group:${g.id}`));
  socket.emit("ready", { user, groups: q.heads.all(user.id), server_time: new Date().toISOString() });
});

server.listen(port, "127.0.0.1", () => console.log(`node reference on ${port}`));
