"""End-to-end probe of a running server: two users, one group, one message, live and by catch-up."""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

import httpx
import socketio

from chat_protocol.events import SOCKETIO_PATH, ClientEvent, ServerEvent

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1
# Probe users get a recognisable prefix so an operator can tell them apart from people.
PROBE_USER_PREFIX = "probe_"
PROBE_GROUP_NAME = "probe"
PROBE_BODY = "probe message"
HTTP_STATUS_UNAUTHORIZED = 401


class ProbeFailure(Exception):
    """A step of the probe failed; the message says why, in words an operator can act on."""


@dataclass
class _Account:
    username: str
    password: str
    token: str = ""
    user_id: int = 0


@dataclass
class _Live:
    """One user's socket and what arrived on it."""

    sio: socketio.AsyncClient
    ready: asyncio.Future[dict[str, Any]]
    messages: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)


class _Reporter:
    """Prints one line per step with its duration."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def line(self, status: str, ms: float | None, text: str) -> None:
        timing = f"{ms:8.1f} ms" if ms is not None else " " * 11
        print(f"  {status:<4} {timing}  {text}", file=self._out, flush=True)

    async def step(self, text: str, action: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            result = await action
        except ProbeFailure as exc:
            self.line("FAIL", _ms_since(started), f"{text}: {exc}")
            raise
        self.line("ok", _ms_since(started), text)
        return result


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _error_text(response: httpx.Response) -> str:
    """Render a server error (the protocol's Error shape when present) in one line."""
    try:
        error = response.json().get("error", {})
        return f"HTTP {response.status_code} {error.get('code')}: {error.get('message')}"
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}: {response.text[:200]!r}"


class _Api:
    """The few REST calls the probe needs, each turning any failure into ProbeFailure."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise ProbeFailure(f"{method} {path} timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise ProbeFailure(f"cannot reach the server: {exc or type(exc).__name__}") from exc
        if response.status_code not in expect:
            raise ProbeFailure(f"{method} {path} answered {_error_text(response)}")
        return response

    async def health(self) -> str:
        response = await self.call("GET", "/healthz", expect=(200, 503))
        body = response.json()
        if response.status_code != 200:
            raise ProbeFailure(f"/healthz says the server is unhealthy: {body}")
        return f"db={body.get('db')} redis={body.get('redis')} version={body.get('version')}"

    async def sign_in(self, account: _Account, *, register_first: bool) -> str:
        """Register (or log in) and fill in the account's token; says which it did."""
        creds = {"username": account.username, "password": account.password}
        if register_first:
            response = await self.call("POST", "/api/auth/register", json=creds, expect=(201,))
            how = "registered"
        else:
            try:
                response = await self.call("POST", "/api/auth/login", json=creds)
                how = "logged in"
            except ProbeFailure as login_failed:
                # An operator's named probe users may not exist yet: create them once.
                try:
                    response = await self.call(
                        "POST", "/api/auth/register", json=creds, expect=(201,)
                    )
                except ProbeFailure:
                    raise ProbeFailure(
                        f"cannot log in as {account.username}: {login_failed}"
                    ) from login_failed
                how = "registered"
        body = response.json()
        account.token = body["token"]
        account.user_id = body["user"]["id"]
        return how


async def _connect(url: str, token: str, wait_s: float) -> _Live:
    """Open a Socket.IO connection with the token and wait for its `ready` event."""
    sio = socketio.AsyncClient(reconnection=False)
    loop = asyncio.get_running_loop()
    live = _Live(sio=sio, ready=loop.create_future())
    refused: dict[str, Any] = {}

    @sio.on(ServerEvent.READY)  # type: ignore[untyped-decorator,misc]
    async def _on_ready(data: dict[str, Any]) -> None:
        if not live.ready.done():
            live.ready.set_result(data)

    @sio.on(ServerEvent.MESSAGE_NEW)  # type: ignore[untyped-decorator,misc]
    async def _on_message(data: dict[str, Any]) -> None:
        live.messages.put_nowait(data)

    @sio.event  # type: ignore[untyped-decorator,misc]
    async def connect_error(data: Any) -> None:
        refused["data"] = data

    try:
        await sio.connect(
            url,
            auth={"token": token},
            transports=["websocket"],
            socketio_path=SOCKETIO_PATH,
            wait_timeout=wait_s,
        )
    except socketio.exceptions.ConnectionError as exc:
        reason = refused.get("data") or str(exc)
        raise ProbeFailure(f"socket connection refused: {reason}") from exc
    try:
        await asyncio.wait_for(asyncio.shield(live.ready), wait_s)
    except TimeoutError as exc:
        await sio.disconnect()
        raise ProbeFailure(f"no `ready` event within {wait_s:g} s") from exc
    return live


async def _await_delivery(live: _Live, client_msg_id: str, wait_s: float) -> dict[str, Any]:
    """Wait until the message with this client_msg_id arrives on the socket."""
    deadline = time.monotonic() + wait_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeFailure(f"the message was not delivered live within {wait_s:g} s")
        try:
            message = await asyncio.wait_for(live.messages.get(), remaining)
        except TimeoutError:
            continue
        if message.get("client_msg_id") == client_msg_id:
            return message


class _Probe:
    """The probe's steps, in order; each raises ProbeFailure with the reason."""

    def __init__(self, url: str, api: _Api, report: _Reporter, timeout: float) -> None:
        self.url = url
        self.api = api
        self.report = report
        self.timeout = timeout
        self.sockets: list[_Live] = []

    async def run(self, a: _Account, b: _Account, register: bool) -> float:
        step = self.report.step
        health = await step(f"reach {self.url}/healthz", self.api.health())
        self.report.line("", None, health)
        for account in (a, b):
            how = await step(
                f"sign in {account.username}", self.api.sign_in(account, register_first=register)
            )
            self.report.line("", None, f"{how} {account.username} (id {account.user_id})")
        group = await step(
            f"find or create group {PROBE_GROUP_NAME!r} of both users", self._group(a, b)
        )
        self.report.line("", None, f"group {group['id']} (last seq {group.get('last_seq')})")
        live_a = await step(f"connect {a.username} over Socket.IO", self._open(a))
        live_b = await step(f"connect {b.username} over Socket.IO", self._open(b))
        heads = {g["id"] for g in (await live_b.ready)["groups"]}
        if group["id"] not in heads:
            raise ProbeFailure(f"`ready` for {b.username} does not list group {group['id']}")
        client_msg_id = str(uuid.uuid4())
        started = time.perf_counter()
        sent = await step(
            f"send a message as {a.username} (REST)",
            self._send(a, group["id"], client_msg_id),
        )
        live_msg = await _await_delivery(live_b, client_msg_id, self.timeout)
        round_trip = _ms_since(started)
        self.report.line(
            "ok", round_trip, f"{b.username} received it live (seq {live_msg.get('seq')})"
        )
        if live_msg.get("id") != sent["id"] or live_msg.get("body") != PROBE_BODY:
            raise ProbeFailure(f"live message differs from the stored one: {live_msg}")
        await step(f"{b.username}'s catch-up over REST agrees", self._catch_up(b, sent))
        await step("ping over the socket", self._ping(live_a))
        return round_trip

    async def _group(self, a: _Account, b: _Account) -> dict[str, Any]:
        """The probe group both users share (reused, so a periodic probe adds no clutter)."""
        mine = await self._groups_of(a)
        theirs = {group["id"] for group in await self._groups_of(b)}
        for group in mine:
            if group.get("name") == PROBE_GROUP_NAME and group["id"] in theirs:
                return group
        return await self._create_group(a, b)

    async def _groups_of(self, account: _Account) -> list[dict[str, Any]]:
        response = await self.api.call("GET", "/api/groups", token=account.token)
        groups: list[dict[str, Any]] = response.json().get("groups", [])
        return groups

    async def _create_group(self, a: _Account, b: _Account) -> dict[str, Any]:
        payload = {"name": PROBE_GROUP_NAME, "members": [b.username]}
        response = await self.api.call(
            "POST", "/api/groups", token=a.token, json=payload, expect=(201,)
        )
        group: dict[str, Any] = response.json()
        return group

    async def _open(self, account: _Account) -> _Live:
        live = await _connect(self.url, account.token, self.timeout)
        self.sockets.append(live)
        return live

    async def _send(self, a: _Account, group_id: int, client_msg_id: str) -> dict[str, Any]:
        response = await self.api.call(
            "POST",
            f"/api/groups/{group_id}/messages",
            token=a.token,
            json={"client_msg_id": client_msg_id, "body": PROBE_BODY},
            expect=(201,),
        )
        message: dict[str, Any] = response.json()
        return message

    async def _catch_up(self, b: _Account, sent: dict[str, Any]) -> None:
        response = await self.api.call(
            "GET",
            f"/api/groups/{sent['group_id']}/messages",
            token=b.token,
            params={"after_seq": sent["seq"] - 1},
        )
        messages = response.json().get("messages", [])
        if not any(m.get("id") == sent["id"] and m.get("seq") == sent["seq"] for m in messages):
            raise ProbeFailure(f"catch-up after seq {sent['seq'] - 1} lacks message {sent['id']}")

    async def _ping(self, live: _Live) -> None:
        try:
            ack = await live.sio.call(ClientEvent.PING, {}, timeout=self.timeout)
        except socketio.exceptions.TimeoutError as exc:
            raise ProbeFailure(f"no ping ack within {self.timeout:g} s") from exc
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise ProbeFailure(f"ping answered {ack!r}")

    async def close(self, accounts: tuple[_Account, ...]) -> None:
        """Disconnect and log out; failures here do not change the verdict."""
        for live in self.sockets:
            await live.sio.disconnect()
        for account in accounts:
            if account.token:
                try:
                    await self.api.call(
                        "POST", "/api/auth/logout", token=account.token, expect=(204,)
                    )
                except ProbeFailure:
                    pass


def _accounts(users: tuple[str, str] | None, password: str | None) -> tuple[_Account, _Account]:
    if users is None:
        tag = secrets.token_hex(4)
        secret = password or secrets.token_urlsafe(18)
        return (
            _Account(f"{PROBE_USER_PREFIX}{tag}_a", secret),
            _Account(f"{PROBE_USER_PREFIX}{tag}_b", secret),
        )
    if not password:
        raise ProbeFailure("named probe users need a password")
    return _Account(users[0], password), _Account(users[1], password)


async def run_probe(
    url: str,
    *,
    users: tuple[str, str] | None = None,
    password: str | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - the CLI's documented signature
    out: TextIO = sys.stdout,
) -> int:
    """Check a running server end to end; 0 when every step passed, 1 (with the reason) if not.

    Without `users`, two fresh users are registered; with them, they log in (and are
    registered on first use).
    """
    url = url.rstrip("/")
    report = _Reporter(out)
    print(f"probing {url}", file=out, flush=True)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
        probe = _Probe(url, _Api(http), report, timeout)
        accounts: tuple[_Account, ...] = ()
        try:
            accounts = _accounts(users, password)
            round_trip = await probe.run(*accounts, register=users is None)
        except ProbeFailure as exc:
            print(f"probe FAILED: {exc}", file=out, flush=True)
            return EXIT_FAILED
        except (OSError, socketio.exceptions.SocketIOError, KeyError, ValueError) as exc:
            print(f"probe FAILED: unexpected {type(exc).__name__}: {exc}", file=out, flush=True)
            return EXIT_FAILED
        finally:
            await probe.close(accounts)
    total = _ms_since(started)
    print(
        f"probe OK: round trip {round_trip:.1f} ms (REST post to live delivery), "
        f"total {total:.0f} ms",
        file=out,
        flush=True,
    )
    return EXIT_OK
