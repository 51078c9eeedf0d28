"""Schemathesis hooks for the schema fuzz (loaded by `st run` through SCHEMATHESIS_HOOKS).

- Every request and answer is tallied (FUZZ_TALLY names the JSON file written at exit).
- A logout gets a token of its own (a new user's), so the fuzzing user's token survives.
- Integers are sent as JSON integers: JSON Schema counts 5.0 as an integer, the protocol
  does not (docs/protocol.md: "a float … where an id belongs is a 422").
- A schema-valid request may still break a rule about stored state or about two fields
  together, which no OpenAPI 3.1 schema can state. Those 422s (listed below, each documented
  on its route) are not "schema-valid request rejected"; any other 422 is.
"""

from __future__ import annotations

import atexit
import json
import os
import uuid
from collections import Counter
from typing import Any

import httpx
import schemathesis

TALLY_PATH = os.environ.get("FUZZ_TALLY")
BASE_URL = os.environ.get("FUZZ_URL", "")
MAIN_TOKEN = os.environ.get("FUZZ_TOKEN", "")
PASSWORD = os.environ.get("FUZZ_PASSWORD", "")
# Error codes of rules about stored state: the answer depends on what exists, not on shape.
STATE_CODES = {"unknown_user", "weak_password", "username_taken", "already_member"}
# validation_error messages of rules no schema can state (one field against another, or
# against what is stored).
RULE_MESSAGES = (
    "Give after_seq or before_seq, not both",
    "This client_msg_id was already used for a message in another group.",
    "This client_event_id was already used in another group.",
    # a message send reusing the id of a stored non-message event (stored state)
    "This client id was already used for another kind of event.",
    # one emoji grapheme (Unicode's emoji sequences): no JSON Schema pattern states it
    "emoji must be exactly one emoji.",
    # member.removed naming the caller: the user id against the token's user
    "You cannot remove yourself;",
    # issue 12: body "" only next to files (two fields); ids that are no upload of the
    # caller's (stored state); an empty upload (a binary body has no minLength)
    "body: may be empty only when attachment_ids",
    "attachment_ids: ",
    "The file is empty.",
)
# 404 messages about a message or a member, not the group: a made-up message_id or user_id in
# a group just created is "not found" by protocol (v2 rule order), which "created resource
# not found" cannot know.
MISSING_THINGS = (b"No such message", b"No such member")

tally: Counter[str] = Counter()
# Groups the fuzzing user left (DELETE …/members/me answered 204): for a non-member a group
# answers 404 by protocol, which schemathesis's "created resource not found" cannot know.
left_groups: set[str] = set()


def _write_tally() -> None:
    if TALLY_PATH:
        with open(TALLY_PATH, "w", encoding="utf-8") as handle:
            json.dump(dict(tally), handle)


atexit.register(_write_tally)


def _has_integral_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_has_integral_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_integral_float(v) for v in value)
    return False


@schemathesis.hook
def filter_body(context: schemathesis.HookContext, body: Any) -> bool:
    return not _has_integral_float(body)


@schemathesis.auth()
class FuzzerToken:
    """The fuzzing user's token on every route but logout, which gets a new user's own
    token (logging out the fuzzing user would turn the rest of the run into 401s). Given as
    an auth provider, so the checks that leave the token out know to."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return MAIN_TOKEN

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        token = _throwaway_token() if case.operation.path == "/api/auth/logout" else data
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


def _throwaway_token() -> str:
    user = {"username": f"out_{uuid.uuid4().hex[:12]}", "password": PASSWORD}
    return str(httpx.post(f"{BASE_URL}/api/auth/register", json=user, timeout=30).json()["token"])


@schemathesis.hook
def after_call(
    context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response
) -> None:
    if (
        case.method.upper() == "DELETE"
        and case.operation.path.endswith("/members/me")
        and response.status_code == 204
    ):
        left_groups.add(str((case.path_parameters or {}).get("group_id")))
    tally["requests"] += 1
    tally[f"{response.status_code // 100}xx"] += 1
    tally[str(response.status_code)] += 1


@schemathesis.hook
def filter_failure(
    context: schemathesis.HookContext,
    failure: Any,
    case: schemathesis.Case,
    response: schemathesis.Response,
) -> bool:
    """Keep every failure but a 422 for a stated rule of state or of two fields together, and
    a 404 for a group the fuzzing user has left or for a message that does not exist."""
    code = getattr(failure, "code", None)
    if code == "ST302" and response.status_code == 404:
        if any(text in response.content for text in MISSING_THINGS):
            return False
        return str((case.path_parameters or {}).get("group_id")) not in left_groups
    if code != "ST202" or response.status_code != 422:
        return True
    try:
        error = json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return True
    if error.get("code") in STATE_CODES:
        return False
    return not str(error.get("message", "")).startswith(RULE_MESSAGES)
