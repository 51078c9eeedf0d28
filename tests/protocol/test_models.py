"""The wire models reject what PROTOCOL.md says to reject and render times as it says."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from chat_protocol.models import Message, ReadRequest, SendEvent, SendMessageRequest
from chat_protocol.validation import body_problem

GOOD_ID = "3f1c2a9e-0000-4000-8000-000000000000"


def test_string_ids_are_rejected_not_coerced() -> None:
    with pytest.raises(ValidationError):
        SendEvent.model_validate({"group_id": "1", "client_msg_id": GOOD_ID, "body": "x"})
    with pytest.raises(ValidationError):
        ReadRequest.model_validate_json(b'{"seq": "4"}')


def test_bools_are_not_ids() -> None:
    with pytest.raises(ValidationError):
        SendEvent.model_validate({"group_id": True, "client_msg_id": GOOD_ID, "body": "x"})


def test_unknown_fields_in_requests_are_rejected() -> None:
    with pytest.raises(ValidationError):
        SendMessageRequest.model_validate({"client_msg_id": GOOD_ID, "body": "x", "sender_id": 1})


def test_blank_body_and_bad_uuid_are_rejected() -> None:
    with pytest.raises(ValidationError):
        SendMessageRequest.model_validate({"client_msg_id": GOOD_ID, "body": " \n\t "})
    with pytest.raises(ValidationError):
        SendMessageRequest.model_validate({"client_msg_id": "not-a-uuid", "body": "x"})


def test_client_msg_id_is_canonicalised() -> None:
    req = SendMessageRequest.model_validate({"client_msg_id": GOOD_ID.upper(), "body": "x"})
    assert req.client_msg_id == GOOD_ID


def test_times_are_utc_with_z() -> None:
    msg = Message(
        id=1,
        group_id=1,
        seq=1,
        sender={"id": 1, "username": "alice", "display_name": "Alice"},  # type: ignore[arg-type]
        client_msg_id=GOOD_ID,
        body="hi",
        created_at=datetime(2026, 11, 25, 20, 50, 28, 123456, tzinfo=UTC),
    )
    assert msg.model_dump(mode="json")["created_at"] == "2026-11-25T20:50:28.123Z"


def test_body_problem_in_plain_words() -> None:
    assert body_problem("hello") is None
    assert body_problem("   ") is not None
    problem = body_problem("x" * 4001)
    assert problem is not None and "4001" in problem
