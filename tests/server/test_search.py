"""GET /api/search on the real server, on SQLite and PostgreSQL: who sees what, the index
following edits and deletes, paging, prefixes and accents, and hostile queries."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from chat_protocol.models import SearchResults
from chat_server.config import SEARCH_BURST
from tests.support.api import Api, group_of
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


def word() -> str:
    """A word no other test uses (letters only, so it is one word to both indexes)."""
    return "w" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


async def search(api: Api, q: str, **params: Any) -> httpx.Response:
    return await api.request("GET", "/api/search", params={"q": q, **params})


async def found(api: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    """The hits of a search that must succeed (checked against the wire model)."""
    response = await search(api, q, **params)
    assert response.status_code == 200, response.text
    SearchResults.model_validate(response.json())
    return list(response.json()["results"])


def bodies(hits: list[dict[str, Any]]) -> list[str]:
    return [h["message"]["body"] for h in hits]


async def post(api: Api, group_id: int, body: str) -> dict[str, Any]:
    response = await api.send(group_id, body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def event(api: Api, group_id: int, kind: str, data: dict[str, Any]) -> None:
    body = {"client_event_id": str(uuid.uuid4()), "kind": kind, "data": data}
    response = await api.request("POST", f"/api/groups/{group_id}/events", json=body)
    assert response.status_code in (200, 201), response.text


async def test_a_hit_carries_message_group_and_highlights(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    key = word()
    group_id = await group_of(alice, bob, name="Bravo")
    sent = await post(alice, group_id, f"Meet at the {key.upper()} gate, {key}s welcome")
    hits = await found(bob, key)
    assert len(hits) == 1
    hit = hits[0]
    assert hit["message"] == (await bob.messages(group_id))["messages"][0] == sent
    assert hit["group_name"] == "Bravo"
    start = sent["body"].index(key.upper())
    assert hit["highlights"] == [
        [start, start + len(key)],
        [start + len(key) + 7, start + 2 * len(key) + 8],
    ]


async def test_only_groups_the_caller_is_a_member_of_now(server: ServerProcess) -> None:
    alice, bob, carol, eve = [await Api.new_user(server.url) for _ in range(4)]
    key = word()
    shared = await group_of(alice, bob, carol, name="Shared")
    private = await group_of(alice, name="Private")
    await post(alice, shared, f"{key} in shared")
    await post(alice, private, f"{key} in private")
    assert sorted(bodies(await found(alice, key))) == [f"{key} in private", f"{key} in shared"]
    assert bodies(await found(bob, key)) == [f"{key} in shared"]
    assert await found(eve, key) == []
    # removed by the creator, and left on their own: neither sees the group's messages now
    await event(alice, shared, "member.removed", {"user_id": carol.user["id"]})
    assert (await bob.request("DELETE", f"/api/groups/{shared}/members/me")).status_code == 204
    assert await found(carol, key) == []
    assert await found(bob, key) == []


async def test_group_filter_and_a_group_that_is_not_the_callers(server: ServerProcess) -> None:
    alice, eve = await Api.new_user(server.url), await Api.new_user(server.url)
    key = word()
    first, second = await group_of(alice, name="One"), await group_of(alice, name="Two")
    theirs = await group_of(eve, name="Theirs")
    await post(alice, first, f"{key} one")
    await post(alice, second, f"{key} two")
    await post(eve, theirs, f"{key} theirs")
    assert bodies(await found(alice, key, group_id=first)) == [f"{key} one"]
    assert bodies(await found(alice, key, group_id=second)) == [f"{key} two"]
    for group_id in (theirs, 999_999_999):
        response = await search(alice, key, group_id=group_id)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


async def test_edits_are_reindexed_and_deleted_messages_never_found(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    old, new, gone = word(), word(), word()
    group_id = await group_of(alice)
    edited = await post(alice, group_id, f"before {old}")
    deleted = await post(alice, group_id, f"doomed {gone}")
    assert len(await found(alice, old)) == 1 and len(await found(alice, gone)) == 1
    await event(alice, group_id, "message.edited", {"message_id": edited["id"], "body": new})
    await event(alice, group_id, "message.deleted", {"message_id": deleted["id"]})
    assert await found(alice, old) == []
    hits = await found(alice, new)
    assert [h["message"]["id"] for h in hits] == [edited["id"]]
    assert hits[0]["message"]["body"] == new and hits[0]["message"]["edited_at"] is not None
    assert hits[0]["highlights"] == [[0, len(new)]]
    assert await found(alice, gone) == []


async def test_pages_newest_first_without_gaps_or_repeats(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    key = word()
    group_id = await group_of(alice)
    sent = [await post(alice, group_id, f"{key} number {n}") for n in range(7)]
    await post(alice, group_id, "unrelated text")
    seen: list[int] = []
    before: dict[str, Any] = {}
    while True:
        response = await search(alice, key, limit=3, **before)
        assert response.status_code == 200
        page = response.json()
        seen += [h["message"]["id"] for h in page["results"]]
        if not page["has_more"]:
            break
        before = {"before_id": seen[-1]}
    assert seen == [m["id"] for m in reversed(sent)]
    assert len(await found(alice, key)) == 7  # the default limit holds them all


async def test_every_word_is_a_prefix_case_and_accents_ignored(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    key = word()
    group_id = await group_of(alice)
    await post(alice, group_id, f"Crème brûlée at the {key} Café")
    await post(alice, group_id, f"creme only, {key}")
    assert bodies(await found(alice, f"{key} CRÈME BRU")) == [f"Crème brûlée at the {key} Café"]
    assert len(await found(alice, f"creme {key}")) == 2
    assert len(await found(alice, f"{key[:4]} café")) == 1
    assert await found(alice, f"{key} brulee tart") == []  # every word must match
    assert await found(alice, f"{key}x") == []  # a prefix of the word, not the other way round
    hit = (await found(alice, f"BRULEE {key}"))[0]
    body = hit["message"]["body"]
    assert [body[a:b] for a, b in hit["highlights"]] == ["brûlée", key]


async def test_a_word_inside_punctuation_is_a_word(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    name = word()
    group_id = await group_of(alice)
    await post(alice, group_id, f"mail {name}@example.com or see https://{name}.org/x_y")
    assert len(await found(alice, name)) == 1
    assert len(await found(alice, f"{name}@example")) == 1


HOSTILE = [
    '"',
    '""',
    "*",
    "a*",
    "NEAR(",
    "NEAR(a b",
    "-",
    "-foo",
    ":",
    "body:foo",
    "^foo",
    "a OR b AND NOT c",
    "(",
    ")",
    "{body}: x",
    "'; DROP TABLE messages; --",
    "' OR 1=1 --",
    "\\",
    "%_%",
    "foo & bar | !baz <-> qux:*",
    "!!!???...",
    "   ",
    "🙂🙂",
    "\u202e\u0301",
    "x" * 200,
    " ".join(["a"] * 100),
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_are_searched_as_words(server: ServerProcess, query: str) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    await post(alice, group_id, "a perfectly ordinary message about foo and bar")
    response = await search(alice, query)
    assert response.status_code == 200, response.text
    SearchResults.model_validate(response.json())


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "x" * 201},
        {"q": "a\x00b"},
        {},
        {"q": "a", "limit": "0"},
        {"q": "a", "limit": "51"},
        {"q": "a", "limit": "1.0"},
        {"q": "a", "before_id": "-1"},
        {"q": "a", "group_id": "x"},
    ],
)
async def test_bad_parameters_are_422(server: ServerProcess, params: dict[str, str]) -> None:
    alice = await Api.new_user(server.url)
    response = await alice.request("GET", "/api/search", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_needs_a_token(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/api/search", params={"q": "x"})
    assert response.status_code == 401


async def test_searching_too_often_is_rate_limited(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    answers = [(await search(alice, "x")).status_code for _ in range(SEARCH_BURST + 1)]
    assert answers[:SEARCH_BURST] == [200] * SEARCH_BURST
    assert answers[-1] == 429
    limited = await search(alice, "x")
    assert int(limited.headers["Retry-After"]) >= 1
    other = await Api.new_user(server.url)
    assert (await search(other, "x")).status_code == 200  # per user
