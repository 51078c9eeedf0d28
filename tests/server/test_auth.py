"""Registration, login, logout, /api/me and user search, as PROTOCOL.md's REST table says."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.api import Api
from tests.support.server import PASSWORD, ServerProcess, auth_headers, unique_name
from tests.support.sockets import connect, connect_error


async def test_register_returns_user_and_token_that_works(server: ServerProcess) -> None:
    name = unique_name("reg")
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/api/auth/register",
            json={"username": name, "password": PASSWORD, "display_name": "Reggie"},
        )
        assert response.status_code == 201
        body = response.json()
        assert body["user"]["username"] == name and body["user"]["display_name"] == "Reggie"
        assert isinstance(body["user"]["id"], int) and len(body["token"]) >= 43
        me = await http.get("/api/me", headers=auth_headers(body["token"]))
        assert me.status_code == 200 and me.json() == body["user"]


async def test_display_name_defaults_to_username(server: ServerProcess) -> None:
    api = await Api.new_user(server.url)
    assert api.user["display_name"] == api.username
    await api.close()


async def test_taken_username_is_409(server: ServerProcess) -> None:
    api = await Api.new_user(server.url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/api/auth/register", json={"username": api.username, "password": PASSWORD}
        )
    assert response.status_code == 409 and response.json()["error"]["code"] == "username_taken"
    await api.close()


async def test_common_and_guessable_passwords_are_refused_with_weak_password(
    server: ServerProcess,
) -> None:
    name = unique_name("weak")
    weak = ["password", "12345678", " " * 8, name, name.upper(), "Passw0rd!", "qwertyuiop"]
    async with httpx.AsyncClient(base_url=server.url) as http:
        for password in weak:
            response = await http.post(
                "/api/auth/register", json={"username": name, "password": password}
            )
            assert response.status_code == 422, (password, response.text)
            error = response.json()["error"]
            assert error["code"] == "weak_password", (password, error)
            assert error["message"].startswith(
                ("This password is too easy", "The password must")
            ), error
        named = await http.post(
            "/api/auth/register",
            json={
                "username": unique_name("n"),
                "password": "Margaret Hamilton",
                "display_name": "Margaret Hamilton",
            },
        )
        assert named.json()["error"]["code"] == "weak_password", named.text
        # A long password is judged by its start, and the strong one registers.
        long_weak = await http.post(
            "/api/auth/register", json={"username": name, "password": "a" * 256}
        )
        assert long_weak.json()["error"]["code"] == "weak_password", long_weak.text
        ok = await http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
    assert ok.status_code == 201, ok.text


async def test_login_gives_a_new_token_and_wrong_password_is_401(server: ServerProcess) -> None:
    api = await Api.new_user(server.url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        ok = await http.post(
            "/api/auth/login", json={"username": api.username, "password": PASSWORD}
        )
        assert (
            ok.status_code == 200
            and ok.json()["user"] == api.user
            and ok.json()["token"] != api.token
        )
        bad = await http.post(
            "/api/auth/login", json={"username": api.username, "password": "wrong-password"}
        )
        unknown = await http.post(
            "/api/auth/login", json={"username": unique_name("ghost"), "password": PASSWORD}
        )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_credentials"
    # An unknown user is indistinguishable from a wrong password.
    assert unknown.status_code == 401 and unknown.json() == bad.json()
    await api.close()


async def test_logout_revokes_the_token_and_disconnects_its_sockets(server: ServerProcess) -> None:
    api = await Api.new_user(server.url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        second = (
            await http.post(
                "/api/auth/login", json={"username": api.username, "password": PASSWORD}
            )
        ).json()["token"]
    doomed = await connect(server.url, api.token or "")
    survivor = await connect(server.url, second)
    response = await api.request("POST", "/api/auth/logout")
    assert response.status_code == 204
    await doomed.disconnected.wait()
    assert (await api.request("GET", "/api/me")).status_code == 401
    refused = await connect_error(server.url, {"token": api.token})
    assert refused["code"] == "unauthorized"
    # The user's other login is untouched.
    assert survivor.sio.connected
    ack = await survivor.call("ping", {})
    assert ack["ok"] is True
    await survivor.close()
    await api.close()


async def test_user_search_by_prefix(server: ServerProcess) -> None:
    prefix = unique_name("find")[:12]
    apis = [await Api.new_user(server.url, f"{prefix}{i}") for i in range(3)]
    response = await apis[0].request("GET", "/api/users", params={"q": prefix})
    assert response.status_code == 200
    assert sorted(u["username"] for u in response.json()["users"]) == [
        f"{prefix}{i}" for i in range(3)
    ]
    wildcard = await apis[0].request("GET", "/api/users", params={"q": "%"})
    assert wildcard.status_code == 200 and wildcard.json()["users"] == []
    for api in apis:
        await api.close()


async def test_closed_registration_is_403(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(args=["--no-registration-open"])
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/api/auth/register", json={"username": unique_name(), "password": PASSWORD}
        )
    assert response.status_code == 403 and response.json()["error"]["code"] == "registration_closed"


async def test_failed_logins_are_rate_limited_per_username(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server(args=["--login-failures-per-minute", "3"])
    api = await Api.new_user(server.url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(3):
            bad = await http.post(
                "/api/auth/login", json={"username": api.username, "password": "wrong-password"}
            )
            assert bad.status_code == 401
        limited = await http.post(
            "/api/auth/login", json={"username": api.username, "password": PASSWORD}
        )
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    await api.close()


async def test_failed_logins_are_rate_limited_per_address(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server(args=["--login-failures-per-minute", "3"])
    api = await Api.new_user(server.url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(3):  # three different (unknown) names from one address
            bad = await http.post(
                "/api/auth/login", json={"username": unique_name("x"), "password": "wrong-password"}
            )
            assert bad.status_code == 401
        limited = await http.post(
            "/api/auth/login", json={"username": api.username, "password": PASSWORD}
        )
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    await api.close()
