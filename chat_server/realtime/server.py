"""The Socket.IO server: authentication on connect, rooms, client events with acks, fan-out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import socketio
from pydantic import BaseModel, ValidationError

from chat_protocol.errors import ErrorCode
from chat_protocol.events import (
    ADMIN_NAMESPACE,
    PROTOCOL_V1,
    PROTOCOL_V2,
    SOCKETIO_PATH,
    ClientEvent,
    ServerEvent,
)
from chat_protocol.models import PingEvent, SendEvent, TypingEvent
from chat_server import errors, jsonfast
from chat_server.config import Settings
from chat_server.metrics import Metrics
from chat_server.ratelimit import Throttle
from chat_server.realtime import direct_broadcast, engineio_tuning
from chat_server.realtime.admin import AdminMirror
from chat_server.realtime.client_faults import (
    FaultLog,
    LibraryLogger,
    PeerScope,
    guard_background_tasks,
)
from chat_server.realtime.managers import LocalManager, RedisManager, control_room
from chat_server.realtime.session_guard import SessionGuard
from chat_server.security import presented_token
from chat_server.services.auth import AuthService
from chat_server.services.fanout import Caller
from chat_server.services.groups import GroupService
from chat_server.services.messages import MessageService
from chat_server.wire import EventDict, utc_z

log = logging.getLogger(__name__)

NAMESPACE = "/"
# How long the ready task waits for python-socketio to finish the handshake it is in.
READY_WAIT_SECONDS = 5.0
READY_POLL_SECONDS = 0.005
ENGINEIO_PING_INTERVAL = 20
ENGINEIO_PING_TIMEOUT = 20
LISTENER_CHECK_SECONDS = 5.0
ROOM_SYNC_ATTEMPTS = 3

Ack = dict[str, Any]


def group_room(group_id: int, protocol: int = PROTOCOL_V1) -> str:
    """v1 sockets get `message:new` in `group:{id}`; v2 sockets get `event` in `group:{id}:v2`."""
    return f"group:{group_id}" if protocol == PROTOCOL_V1 else f"group:{group_id}:v2"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def v1_user_room(user_id: int) -> str:
    """The user's v1 sockets: their own `read` in v1's shape."""
    return f"user:{user_id}:v1"


def _protocol(auth: Any) -> int | None:
    """The protocol version a connect asks for (absent: 1); None for anything unknown."""
    value = auth.get("protocol", PROTOCOL_V1) if isinstance(auth, dict) else PROTOCOL_V1
    if type(value) is int and value in (PROTOCOL_V1, PROTOCOL_V2):
        return value
    return None


def token_room(token_hash: str) -> str:
    return f"token:{token_hash}"


def error_ack(exc: errors.ApiError) -> Ack:
    body = exc.body()
    return {"ok": False, "error": body["error"]}


def _error(code: ErrorCode, message: str) -> Ack:
    return {"ok": False, "error": {"code": str(code), "message": message}}


class Realtime:
    """Owns the AsyncServer; implements the services' Fanout over rooms."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        admin_key: str,
        auth: AuthService,
        groups: GroupService,
        messages: MessageService,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.auth = auth
        self.groups = groups
        self.instance_id = ""  # the database's, set once it is migrated (ready carries it)
        self.messages = messages
        self.manager: LocalManager | RedisManager
        if settings.redis_url:
            self.manager = RedisManager(settings.redis_url, channel=settings.redis_channel)
        else:
            self.manager = LocalManager()
        self.manager.control_handler = self._apply_control
        engineio_tuning.apply()
        if settings.direct_broadcast:
            self.manager.direct_broadcast = direct_broadcast.apply()
        direct = metrics.broadcast_deliveries.labels("direct")
        queued = metrics.broadcast_deliveries.labels("queued")

        def count_deliveries(written: int, put: int) -> None:
            if written:
                direct.inc(written)
            if put:
                queued.inc(put)

        self.manager.count_deliveries = count_deliveries
        self.faults = FaultLog()
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=self.manager,
            json=jsonfast,
            logger=LibraryLogger("socketio.server", self.faults),
            engineio_logger=LibraryLogger("engineio.server", self.faults),
            max_http_buffer_size=settings.socket_payload_max_bytes,
            ping_interval=ENGINEIO_PING_INTERVAL,
            ping_timeout=ENGINEIO_PING_TIMEOUT,
        )
        guard_background_tasks(self.sio, self.faults)
        self.guard = SessionGuard(
            self.sio,
            self.faults,
            timeout=settings.auth_timeout_seconds,
            per_address=settings.unauthenticated_per_address,
        )
        self.guard.install()
        self.sessions: dict[str, Caller] = {}
        self.protocols: dict[str, int] = {}  # by sid; sockets absent here speak v1
        self.typing = Throttle(settings.typing_interval_seconds)
        self.admin = AdminMirror(self.sio, admin_key, metrics)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._membership_epochs: dict[int, int] = {}
        self._emit_counters = {e.value: metrics.emits.labels(e.value) for e in ServerEvent}
        self._register()

    def asgi_app(self, other: Any) -> PeerScope:
        app = socketio.ASGIApp(
            self.sio, other_asgi_app=other, socketio_path=SOCKETIO_PATH.strip("/")
        )
        return PeerScope(app, self.faults)

    # --- handlers ------------------------------------------------------------

    def _register(self) -> None:
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on(
            ClientEvent.MESSAGE_SEND.value, self._guarded(ClientEvent.MESSAGE_SEND, self._on_send)
        )
        self.sio.on(ClientEvent.TYPING.value, self._guarded(ClientEvent.TYPING, self._on_typing))
        self.sio.on(ClientEvent.PING.value, self._guarded(ClientEvent.PING, self._on_ping))
        self.sio.on("*", self._on_unknown)
        self.admin.register(ADMIN_NAMESPACE)

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        # The same token syntax as the REST routes' Authorization header (RFC 6750).
        token = presented_token(auth.get("token")) if isinstance(auth, dict) else None
        protocol = _protocol(auth)
        if protocol is None:
            self.metrics.rejected_events.labels("socket_bad_protocol").inc()
            raise _refusal("validation_error", "auth.protocol must be 1 or 2.")
        try:
            caller = await self.auth.authenticate(token)
        except errors.Unauthorized as exc:
            self.metrics.rejected_events.labels("socket_unauthorized").inc()
            raise _refusal("unauthorized", exc.message) from None
        except Exception:
            log.exception("socket authentication failed")
            raise _refusal(
                "unavailable", "The server cannot serve this connection now; retry."
            ) from None
        self.sessions[sid] = caller
        if protocol == PROTOCOL_V2:
            self.protocols[sid] = protocol
        else:
            await self.sio.enter_room(sid, v1_user_room(caller.id))
        # The user room first: a group joined from now on reaches this socket through it.
        await self.sio.enter_room(sid, user_room(caller.id))
        await self.sio.enter_room(sid, token_room(caller.token_hash))
        try:
            await self._sync_group_rooms(sid, caller.id)
        except Exception:
            log.exception("socket connect failed")
            self.sessions.pop(sid, None)
            self.protocols.pop(sid, None)
            raise _refusal(
                "unavailable", "The server cannot serve this connection now; retry."
            ) from None
        if self.auth.is_revoked(caller.token_hash):  # revoked while it connected
            self.sessions.pop(sid, None)
            raise _refusal("unauthorized", "The token is revoked.")
        self.metrics.connected_sockets.inc()
        self.admin.mirror("in", "connect", {"sid": sid, "user": caller.username}, None)
        self._spawn(self._send_ready(sid, caller))

    async def _sync_group_rooms(self, sid: str, user_id: int) -> None:
        """Put the socket in exactly its user's group rooms.

        A membership change that lands while the groups are being read would be missed (the
        socket is in the user room, but not yet in the group rooms the change touches), so
        the read is repeated until no join/leave for this user happened meanwhile.
        """
        for _ in range(ROOM_SYNC_ATTEMPTS):
            epoch = self._membership_epochs.get(user_id, 0)
            await self._set_group_rooms(sid, await self.groups.group_ids(user_id))
            if self._membership_epochs.get(user_id, 0) == epoch:
                return

    async def _set_group_rooms(self, sid: str, group_ids: Iterable[int]) -> None:
        protocol = self.protocols.get(sid, PROTOCOL_V1)
        wanted = {group_room(g, protocol) for g in group_ids}
        current = {r for r in self.sio.rooms(sid) if r.startswith("group:")}
        for room in current - wanted:
            await self.sio.leave_room(sid, room)
        for room in wanted - current:
            await self.sio.enter_room(sid, room)

    async def _send_ready(self, sid: str, caller: Caller) -> None:
        """Emit `ready` once the handshake is through; heads are read after the rooms were joined."""
        deadline = asyncio.get_running_loop().time() + READY_WAIT_SECONDS
        while not self.manager.is_connected(sid, NAMESPACE):
            if asyncio.get_running_loop().time() > deadline or sid not in self.sessions:
                return
            await asyncio.sleep(READY_POLL_SECONDS)
        heads = await self.groups.heads(caller.id)
        payload = {
            "user": caller.wire(),
            "groups": heads,
            "server_time": utc_z(datetime.now(UTC)),
            "instance_id": self.instance_id,
        }
        await self._emit(ServerEvent.READY, payload, to=sid)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        caller = self.sessions.pop(sid, None)
        self.protocols.pop(sid, None)
        if caller is not None:
            self.metrics.connected_sockets.dec()
            self.admin.mirror(
                "in",
                "disconnect",
                {"sid": sid, "user": caller.username, "reason": str(reason)},
                None,
            )

    def _guarded(
        self, event: ClientEvent, handler: Callable[[str, Caller, Any], Awaitable[Ack]]
    ) -> Callable[..., Awaitable[Ack]]:
        """Wrap a handler: find the caller, turn every failure into an error ack, mirror to monitors."""

        async def run(sid: str, *args: Any) -> Ack:
            caller = self.sessions.get(sid)
            data = args[0] if len(args) == 1 else (None if not args else list(args))
            if caller is None:
                ack = _error(ErrorCode.UNAUTHORIZED, "This socket is not authenticated.")
            else:
                try:
                    ack = await handler(sid, caller, data)
                except errors.ApiError as exc:
                    self.metrics.rejected_events.labels(str(exc.code)).inc()
                    ack = error_ack(exc)
                except ValidationError as exc:
                    self.metrics.rejected_events.labels("validation_error").inc()
                    ack = error_ack(
                        errors.ValidationFailed(errors.validation_message(exc.errors()))
                    )
                except Exception as exc:
                    unavailable = errors.database_unavailable(exc)
                    if unavailable is not None:
                        ack = error_ack(unavailable)
                    else:
                        log.exception("socket event failed", extra={"event": event.value})
                        ack = _error(ErrorCode.INTERNAL, "The server failed to handle this event.")
            self.admin.mirror(
                "in", event.value, data, ack, sid=sid, user=caller.username if caller else None
            )
            return ack

        return run

    async def _on_send(self, _sid: str, caller: Caller, data: Any) -> Ack:
        event = _parse(SendEvent, data)
        errors.check_int64("group_id", event.group_id)
        message, _created = await self.messages.send(
            caller,
            event.group_id,
            event.client_msg_id,
            event.body,
            event.reply_to_message_id,
            event.attachment_ids,
        )
        return {"ok": True, "message": message}

    async def _on_typing(self, sid: str, caller: Caller, data: Any) -> Ack:
        event = _parse(TypingEvent, data)
        errors.check_int64("group_id", event.group_id)
        room = group_room(event.group_id, self.protocols.get(sid, PROTOCOL_V1))
        # The server keeps rooms in step with memberships, so the room is the membership check.
        if room not in self.sio.rooms(sid):
            raise errors.GroupNotFound()
        own_sids = self._local_sids(user_room(caller.id))
        if self.typing.allow((caller.id, event.group_id)):
            payload = {"group_id": event.group_id, "user": caller.wire()}
            rooms = [group_room(event.group_id), group_room(event.group_id, PROTOCOL_V2)]
            await self._emit(ServerEvent.TYPING, payload, to=rooms, skip_sid=own_sids)
        return {"ok": True}

    async def _on_ping(self, _sid: str, caller: Caller, data: Any) -> Ack:
        _parse(PingEvent, {} if data is None else data)
        heads = await self.groups.heads(caller.id)
        return {"ok": True, "server_time": utc_z(datetime.now(UTC)), "groups": heads}

    async def _on_unknown(self, event: str, sid: str, *args: Any) -> Ack:
        self.metrics.rejected_events.labels("unknown_event").inc()
        caller = self.sessions.get(sid)
        self.admin.mirror(
            "in", str(event), list(args), None, sid=sid, user=caller.username if caller else None
        )
        return _error(ErrorCode.UNKNOWN_EVENT, f"Unknown event {str(event)[:64]!r}.")

    # --- fan-out (the services' Fanout) ------------------------------------------

    async def _emit(
        self, event: ServerEvent, data: Any, *, to: str | list[str], skip_sid: Any = None
    ) -> None:
        self._emit_counters[event.value].inc()
        await self.sio.emit(event.value, data, to=to, skip_sid=skip_sid)
        self.admin.mirror(
            "out", event.value, data, None, to=to if isinstance(to, str) else ",".join(to)
        )

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background emit failed", exc_info=task.exception())

    async def message_posted(self, event: EventDict) -> None:
        # Not awaited: the sender's response must not wait for every recipient's socket.
        self._spawn(self._announce_message(event))

    async def _announce_message(self, event: EventDict) -> None:
        group_id = event["group_id"]
        await self._emit(ServerEvent.MESSAGE_NEW, event["data"], to=group_room(group_id))
        await self._emit(ServerEvent.EVENT, event, to=group_room(group_id, PROTOCOL_V2))

    async def log_event(self, event: EventDict) -> None:
        room = group_room(event["group_id"], PROTOCOL_V2)
        await self._emit(ServerEvent.EVENT, event, to=room)

    async def read(self, user_id: int, group_id: int, seq: int) -> None:
        await self._emit(
            ServerEvent.READ, {"group_id": group_id, "seq": seq}, to=v1_user_room(user_id)
        )
        # v2: every member's sockets learn every member's read (seen-by).
        await self._emit(
            ServerEvent.READ,
            {"group_id": group_id, "user_id": user_id, "seq": seq},
            to=group_room(group_id, PROTOCOL_V2),
        )

    async def group_muted(self, user_id: int, group_id: int, muted: bool) -> None:
        # The user room holds v1 and v2 sockets alike; emit crosses nodes as `read` does.
        await self._emit(
            ServerEvent.GROUP_MUTED, {"group_id": group_id, "muted": muted}, to=user_room(user_id)
        )

    async def group_joined(self, user_id: int, group: dict[str, Any]) -> None:
        await self._control({"op": "join", "user_id": user_id, "group": group})

    async def group_left(self, user_id: int, group_id: int) -> None:
        await self._control({"op": "leave", "user_id": user_id, "group_id": group_id})

    async def token_revoked(self, token_hash: str) -> None:
        await self._control({"op": "logout", "token_hash": token_hash})

    async def _control(self, action: dict[str, Any]) -> None:
        await self.manager.close_room(control_room(action), NAMESPACE)

    async def _apply_control(self, action: dict[str, Any]) -> None:
        """Run on every node: move this node's sockets between rooms, or disconnect them."""
        op = action.get("op")
        if op == "logout":
            self.auth.forget_token(str(action["token_hash"]))
            await self.token_revoked_here(str(action["token_hash"]))
            return
        user_id = int(action["user_id"])
        self._membership_epochs[user_id] = self._membership_epochs.get(user_id, 0) + 1
        if op == "join":
            group = action["group"]
            for sid in self._local_sids(user_room(user_id)):
                protocol = self.protocols.get(sid, PROTOCOL_V1)
                await self.sio.enter_room(sid, group_room(int(group["id"]), protocol))
            await self._emit_local(ServerEvent.GROUP_JOINED, group, user_room(user_id))
        elif op == "leave":
            group_id = int(action["group_id"])
            for sid in self._local_sids(user_room(user_id)):
                await self.sio.leave_room(sid, group_room(group_id))
                await self.sio.leave_room(sid, group_room(group_id, PROTOCOL_V2))
            await self._emit_local(
                ServerEvent.GROUP_LEFT, {"group_id": group_id}, user_room(user_id)
            )

    # --- the control log's follower (services/control.py) ----------------------------

    async def token_revoked_here(self, token_hash: str) -> None:
        for sid in self._local_sids(token_room(token_hash)):
            await self.sio.disconnect(sid, ignore_queue=True)

    async def membership_ended_here(self, user_id: int, group_id: int) -> None:
        """Take the user's sockets here out of the group's room, unless pub/sub already did
        (then none is in it) or the user is a member again (a later join)."""
        rooms = (group_room(group_id), group_room(group_id, PROTOCOL_V2))
        epoch = self._membership_epochs.get(user_id, 0)
        if not self._in_room(user_id, rooms) or await self.groups.is_member(user_id, group_id):
            return
        if self._membership_epochs.get(user_id, 0) != epoch:
            return  # a join or leave came through pub/sub meanwhile; it is as new as this
        self._membership_epochs[user_id] = epoch + 1
        for sid in self._in_room(user_id, rooms):
            for room in rooms:
                await self.sio.leave_room(sid, room)
            await self._emit_local(ServerEvent.GROUP_LEFT, {"group_id": group_id}, sid)

    def _in_room(self, user_id: int, rooms: tuple[str, ...]) -> list[str]:
        """The user's sockets here that are in any of `rooms` (a group's v1 and v2 rooms)."""
        return [
            sid
            for sid in self._local_sids(user_room(user_id))
            if any(room in self.sio.rooms(sid) for room in rooms)
        ]

    async def revalidate_sockets(self) -> None:
        """After this node lost the log for a while: drop sockets whose token died, and put
        every other one in exactly its user's group rooms."""
        sessions = dict(self.sessions)
        live = await self.auth.live_tokens({c.token_hash for c in sessions.values()})
        for sid, caller in sessions.items():
            if caller.token_hash not in live:
                await self.sio.disconnect(sid, ignore_queue=True)
        users = {c.id for c in sessions.values() if c.token_hash in live}
        epochs = {user_id: self._membership_epochs.get(user_id, 0) for user_id in users}
        memberships = await self.groups.group_ids_by_user(users)
        for sid, caller in sessions.items():
            if caller.id not in users or sid not in self.sessions:
                continue
            if self._membership_epochs.get(caller.id, 0) != epochs[caller.id]:
                continue  # a join or leave arrived meanwhile, newer than what was read
            await self._set_group_rooms(sid, memberships.get(caller.id, set()))
        log.info("sockets re-checked", extra={"sockets": len(sessions), "users": len(users)})

    async def _emit_local(self, event: ServerEvent, data: Any, room: str) -> None:
        self._emit_counters[event.value].inc()
        await self.sio.emit(event.value, data, to=room, ignore_queue=True)
        self.admin.mirror("out", event.value, data, None, to=room)

    def _local_sids(self, room: str) -> list[str]:
        return [sid for sid, _ in self.manager.get_participants(NAMESPACE, room)]

    def listener_alive(self) -> bool:
        return self.manager.listener_alive()

    async def start(self) -> None:
        """Start the client manager now (python-socketio waits for the first connection), so a
        Redis listener runs from the start and /healthz can vouch for it; then watch it."""
        if not self.sio.manager_initialized:
            self.sio.manager_initialized = True
            self.manager.initialize()
        if isinstance(self.manager, RedisManager):
            self._spawn(self._watch_listener())

    async def _watch_listener(self) -> None:
        """Restart a dead Redis listener (a known silent failure); /healthz shows it meanwhile."""
        while True:
            await asyncio.sleep(LISTENER_CHECK_SECONDS)
            if not self.manager.listener_alive():
                log.error("redis listener died; restarting it")
                self.metrics.rejected_events.labels("redis_listener_restart").inc()
                self.manager.restart_listener()

    async def disconnect_all(self) -> None:
        """Close every client connection of this node (they reconnect, possibly to another node)."""
        if not self.sio.eio.sockets:
            return
        try:
            await self.sio.eio.disconnect()
        except Exception:
            log.warning("closing client connections failed", exc_info=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


def _refusal(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A connect refusal whose data is `{code, message}` (plus `data` for socket.io-client's err.data)."""
    refused = socketio.exceptions.ConnectionRefusedError()
    refused.error_args = {
        "code": code,
        "message": message,
        "data": {"code": code, "message": message},
    }
    return refused


def _parse(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, dict):
        raise errors.ValidationFailed("The event payload must be a JSON object.")
    return model.model_validate(data)
