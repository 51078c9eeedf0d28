"""Pydantic models of every object, request and event payload in protocol v1 and v2.

Ids are strict JSON integers: a string where an integer belongs fails validation
(bug 1 of the old web app). Requests forbid unknown fields; responses ignore them,
so an older client keeps working against a newer server.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from chat_protocol import limits, validation
from chat_protocol.validation import NUL, is_blank


def _utc_z(value: datetime) -> str:
    """Render a datetime as ISO 8601 UTC with milliseconds and a trailing `Z`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _aware(value: datetime) -> datetime:
    """Treat a naive datetime as UTC so comparisons never mix naive and aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _canonical_uuid(value: str) -> str:
    """A UUID in its 8-4-4-4-12 form, either case; kept in canonical lowercase."""
    if not _UUID.fullmatch(value):
        raise ValueError("client_msg_id must be a UUID (8-4-4-4-12 hexadecimal digits)")
    return str(uuid.UUID(value))


def _empty_or_not_blank(value: str) -> str:
    return value if value == "" else _not_blank(value)


def _not_blank(value: str) -> str:
    if is_blank(value):
        raise ValueError("must not be only whitespace")
    return value


def _no_nul(value: str) -> str:
    # No database stores it in text (PostgreSQL refuses it), and no person types it.
    if NUL in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


class SchemaExtra:
    """Annotated metadata adding keywords to a type's JSON schema (a dict, or a function
    of the schema), for rules a validator enforces that pydantic cannot describe."""

    def __init__(self, extra: dict[str, Any] | Callable[[dict[str, Any]], None]) -> None:
        self.extra = extra

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if callable(self.extra):
            self.extra(schema)
        else:
            schema.update(self.extra)
        return schema


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Every string a client sends is Text: strict (no coercion) and without NUL. The patterns are
# what the schema says of the checks (the validators are what enforces them).
Text = Annotated[
    StrictStr,
    AfterValidator(_no_nul),
    SchemaExtra({"pattern": validation.NO_NUL_PATTERN}),
]
# Ids and seqs are stored as 64-bit integers.
Id = Annotated[StrictInt, Field(ge=1, le=limits.INT64_MAX)]
Seq = Annotated[StrictInt, Field(ge=0, le=limits.INT64_MAX)]
UtcTime = Annotated[datetime, AfterValidator(_aware), PlainSerializer(_utc_z, return_type=str)]
ClientMsgId = Annotated[
    StrictStr,
    AfterValidator(_canonical_uuid),
    SchemaExtra({"format": "uuid", "pattern": f"^{_UUID.pattern}$"}),
]
Username = Annotated[StrictStr, Field(pattern=limits.USERNAME_PATTERN)]
Password = Annotated[Text, Field(min_length=limits.PASSWORD_MIN, max_length=limits.PASSWORD_MAX)]
# Visible: something other than whitespace and invisible format characters (is_blank).
_VISIBLE = SchemaExtra(lambda schema: schema.update(pattern=validation.visible_pattern()))
DisplayName = Annotated[
    Text,
    Field(min_length=limits.DISPLAY_NAME_MIN, max_length=limits.DISPLAY_NAME_MAX),
    AfterValidator(_not_blank),
    _VISIBLE,
]
GroupName = Annotated[
    Text,
    Field(min_length=limits.GROUP_NAME_MIN, max_length=limits.GROUP_NAME_MAX),
    AfterValidator(_not_blank),
    _VISIBLE,
]
# The body's upper bound is a server setting; see chat_protocol.validation.check_body.
Body = Annotated[Text, Field(min_length=limits.BODY_MIN), AfterValidator(_not_blank), _VISIBLE]
# A body next to attachments (issue 12): "" is allowed there, only whitespace never. Whether
# "" is allowed depends on `attachment_ids` (a rule of two fields: `_body_with_files`).
_EMPTY_OR_VISIBLE = SchemaExtra(
    lambda schema: schema.update(pattern="^$|" + validation.visible_pattern())
)
SendBody = Annotated[Text, AfterValidator(_empty_or_not_blank), _EMPTY_OR_VISIBLE]
AttachmentIds = Annotated[
    list[Id], Field(max_length=limits.ATTACHMENTS_MAX), SchemaExtra({"uniqueItems": True})
]
EMPTY_BODY_NEEDS_FILES = "body: may be empty only when attachment_ids names at least one file"
DUPLICATE_ATTACHMENTS = "attachment_ids: each file may be named once"


def _body_with_files(body: str, attachment_ids: list[int]) -> None:
    """The send rules of `body` and `attachment_ids` together (issue 12)."""
    if len(set(attachment_ids)) != len(attachment_ids):
        raise ValueError(DUPLICATE_ATTACHMENTS)
    if body == "" and not attachment_ids:
        raise ValueError(EMPTY_BODY_NEEDS_FILES)


class WireModel(BaseModel):
    """Base of everything a server sends: tolerant of fields it does not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class RequestModel(BaseModel):
    """Base of everything a client sends: strict, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- objects -----------------------------------------------------------------


class User(WireModel):
    id: Id
    username: StrictStr
    display_name: StrictStr


class ReplyTo(WireModel):
    """What a reply quotes: the original's id, seq, sender and first characters as they now stand."""

    message_id: Id
    seq: Annotated[StrictInt, Field(ge=1)]
    sender: User
    excerpt: StrictStr


class Reaction(WireModel):
    emoji: StrictStr
    user_ids: list[Id]


class Attachment(WireModel):
    """A stored file: in a message, or an upload not yet in one (issue 12)."""

    id: Id
    name: StrictStr
    size: Annotated[StrictInt, Field(ge=0)]
    content_type: StrictStr
    width: StrictInt | None = None
    height: StrictInt | None = None
    thumbnail: StrictBool = False


class Message(WireModel):
    id: Id
    group_id: Id
    seq: Annotated[StrictInt, Field(ge=1)]
    sender: User
    client_msg_id: StrictStr
    body: StrictStr
    created_at: UtcTime
    # protocol v2 (defaults keep v1 payloads valid)
    edited_at: UtcTime | None = None
    deleted: StrictBool = False
    reply_to: ReplyTo | None = None
    reactions: list[Reaction] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    mentions: list[Id] = Field(default_factory=list)


class Group(WireModel):
    id: Id
    name: StrictStr
    created_at: UtcTime
    member_count: StrictInt
    last_seq: Seq
    last_read_seq: Seq
    unread_count: StrictInt
    last_message: Message | None = None
    # protocol v2
    creator: User | None = None
    head_seq: Seq = 0
    muted: StrictBool = False


class Member(User):
    """A member in the group detail, with how far they have read (protocol v2)."""

    last_read_seq: Seq = 0


class GroupDetail(Group):
    members: list[Member]


class ErrorBody(WireModel):
    code: StrictStr
    message: StrictStr


class Error(WireModel):
    error: ErrorBody


# --- REST requests -------------------------------------------------------------


class RegisterRequest(RequestModel):
    username: Username
    password: Password
    display_name: DisplayName | None = None


class LoginRequest(RequestModel):
    # Login does not enforce the registration rules, so a bad guess is 401, not 422.
    username: Annotated[Text, Field(min_length=1, max_length=limits.USERNAME_MAX)]
    password: Annotated[Text, Field(min_length=1, max_length=limits.PASSWORD_MAX)]


class CreateGroupRequest(RequestModel):
    name: GroupName
    members: Annotated[list[Text], Field(max_length=1000)] = Field(default_factory=list)


class AddMemberRequest(RequestModel):
    username: Text


class SendMessageRequest(RequestModel):
    client_msg_id: ClientMsgId
    body: SendBody
    reply_to_message_id: Id | None = None
    attachment_ids: AttachmentIds = Field(default_factory=list)

    @model_validator(mode="after")
    def _files_and_body(self) -> SendMessageRequest:
        _body_with_files(self.body, self.attachment_ids)
        return self


class MuteRequest(RequestModel):
    muted: StrictBool


class ReadRequest(RequestModel):
    seq: Seq


# --- REST responses ------------------------------------------------------------


class AuthResponse(WireModel):
    user: User
    token: StrictStr
    # The server's instance (its database); None from servers older than this field.
    instance_id: StrictStr | None = None


class UsersResponse(WireModel):
    users: list[User]


class GroupsResponse(WireModel):
    groups: list[Group]


class MemberResponse(WireModel):
    member: User


class MuteState(WireModel):
    """Answer of PUT /api/groups/{id}/muted and payload of the `group:muted` socket event."""

    group_id: Id
    muted: StrictBool


class SearchHit(WireModel):
    message: Message
    group_name: StrictStr
    # [start, end) code point offsets into message.body of the words that matched.
    highlights: list[tuple[StrictInt, StrictInt]] = Field(default_factory=list)


class SearchResults(WireModel):
    results: list[SearchHit]
    has_more: StrictBool


class MessagesPage(WireModel):
    messages: list[Message]
    has_more: StrictBool


class Health(WireModel):
    status: Literal["ok", "degraded"]
    db: StrictStr
    redis: StrictStr
    version: StrictStr
    instance_id: StrictStr | None = None
    # `ok`, or `behind`: this node has not read the control log (revocations, removals) lately.
    control_log: StrictStr | None = None


# --- Socket.IO payloads ----------------------------------------------------------


class GroupHead(WireModel):
    id: Id
    last_seq: Seq
    head_seq: Seq = 0  # protocol v2


class Ready(WireModel):
    user: User
    groups: list[GroupHead]
    server_time: UtcTime
    instance_id: StrictStr | None = None


class TypingNotice(WireModel):
    group_id: Id
    user: User


class ReadNotice(WireModel):
    group_id: Id
    seq: Seq


class MemberReadNotice(WireModel):
    """`read` on a v2 socket: any member's read position in a group of the user."""

    group_id: Id
    user_id: Id
    seq: Seq


class GroupLeft(WireModel):
    group_id: Id


class SendEvent(RequestModel):
    group_id: Id
    client_msg_id: ClientMsgId
    body: SendBody
    reply_to_message_id: Id | None = None
    attachment_ids: AttachmentIds = Field(default_factory=list)

    @model_validator(mode="after")
    def _files_and_body(self) -> SendEvent:
        _body_with_files(self.body, self.attachment_ids)
        return self


class TypingEvent(RequestModel):
    group_id: Id


class PingEvent(RequestModel):
    pass


class Ack(WireModel):
    ok: StrictBool
    error: ErrorBody | None = None


class SendAck(Ack):
    message: Message | None = None


class PingAck(Ack):
    server_time: UtcTime | None = None
    groups: list[GroupHead] = Field(default_factory=list)


# --- protocol v2: the group event log ------------------------------------------------


class Event(WireModel):
    """One entry of a group's log; `data` depends on `kind` (see the *Data models below)."""

    group_id: Id
    seq: Annotated[StrictInt, Field(ge=1)]
    kind: StrictStr
    actor: User
    at: UtcTime
    client_event_id: StrictStr | None = None
    data: dict[str, Any]


class EventsPage(WireModel):
    events: list[Event]
    has_more: StrictBool


class MessageEditedData(WireModel):
    message_id: Id
    body: StrictStr
    edited_at: UtcTime
    mentions: list[Id] = Field(default_factory=list)


class MessageRefData(WireModel):
    """`message.deleted`."""

    message_id: Id


class ReactionData(WireModel):
    message_id: Id
    emoji: StrictStr


class MemberData(WireModel):
    """`member.added`, `member.left`, `member.removed`."""

    user: User


class GroupRenamedData(WireModel):
    name: StrictStr


# The model of each kind's `data` (a `message.posted` event's data is the Message).
EVENT_DATA_MODELS: dict[str, type[WireModel]] = {
    "message.posted": Message,
    "message.edited": MessageEditedData,
    "message.deleted": MessageRefData,
    "reaction.added": ReactionData,
    "reaction.removed": ReactionData,
    "member.added": MemberData,
    "member.left": MemberData,
    "member.removed": MemberData,
    "group.renamed": GroupRenamedData,
}


def event_data(event: Event) -> WireModel:
    """The typed `data` of an event (KeyError for a kind this version does not know)."""
    return EVENT_DATA_MODELS[event.kind].model_validate(event.data)


# Requests of POST /api/groups/{id}/events: the shape only. Length, blankness and emoji
# rules are checked by the server after the 404/403/409 rules, in the protocol's order;
# the schema still states them, so a client generated from /openapi.json knows them.
_LaterBody = Annotated[Text, SchemaExtra({"minLength": limits.BODY_MIN}), _VISIBLE]
_LaterGroupName = Annotated[
    Text,
    SchemaExtra({"minLength": limits.GROUP_NAME_MIN, "maxLength": limits.GROUP_NAME_MAX}),
    _VISIBLE,
]


class EditRequestData(RequestModel):
    message_id: Id
    body: _LaterBody


class MessageRequestData(RequestModel):
    message_id: Id


class ReactionRequestData(RequestModel):
    message_id: Id
    emoji: Text


class RemoveMemberRequestData(RequestModel):
    user_id: Id


class RenameRequestData(RequestModel):
    name: _LaterGroupName


class _PostEventBase(RequestModel):
    client_event_id: ClientMsgId


class EditMessageRequest(_PostEventBase):
    kind: Literal["message.edited"]
    data: EditRequestData


class DeleteMessageRequest(_PostEventBase):
    kind: Literal["message.deleted"]
    data: MessageRequestData


class AddReactionRequest(_PostEventBase):
    kind: Literal["reaction.added"]
    data: ReactionRequestData


class RemoveReactionRequest(_PostEventBase):
    kind: Literal["reaction.removed"]
    data: ReactionRequestData


class RemoveMemberRequest(_PostEventBase):
    kind: Literal["member.removed"]
    data: RemoveMemberRequestData


class RenameGroupRequest(_PostEventBase):
    kind: Literal["group.renamed"]
    data: RenameRequestData


PostEventRequest = Annotated[
    EditMessageRequest
    | DeleteMessageRequest
    | AddReactionRequest
    | RemoveReactionRequest
    | RemoveMemberRequest
    | RenameGroupRequest,
    Field(discriminator="kind"),
]
