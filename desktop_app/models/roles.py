"""Data roles of the client's Qt item models (messages, members, groups): the UI's contract."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt

_USER = Qt.ItemDataRole.UserRole


class MessageRoles(IntEnum):
    """Data roles of a message row (MessageModel).

    v2 roles: EDITED_AT (datetime | None), DELETED (bool: a tombstone, body ""),
    REPLY_TO (session.extras.ReplyQuote | None), REACTIONS (list[ReactionChip], emoji in code
    point order), SYSTEM (SystemLine | None: the row is a system line, not a message),
    READ_BY (list[str]: display names of the other members who have read this row),
    TICKS (session.extras.Ticks), PENDING_EDIT (str | None: the text of an edit still in the
    outbox), REPLY_TO_ID (int | None, the original's id, for jumping to it), PENDING_DELETE
    (bool: one's deletion of it is still in the outbox)."""

    ID = _USER + 1
    SEQ = _USER + 2
    SENDER_ID = _USER + 3
    SENDER_NAME = _USER + 4
    BODY = _USER + 5
    CREATED_AT = _USER + 6
    STATE = _USER + 7
    IS_OWN = _USER + 8
    CLIENT_MSG_ID = _USER + 9
    ERROR = _USER + 10
    EDITED_AT = _USER + 11
    DELETED = _USER + 12
    REPLY_TO = _USER + 13
    REACTIONS = _USER + 14
    SYSTEM = _USER + 15
    READ_BY = _USER + 16
    TICKS = _USER + 17
    PENDING_EDIT = _USER + 18
    REPLY_TO_ID = _USER + 19
    PENDING_DELETE = _USER + 20
    # Issue 12: ATTACHMENTS (tuple[session.attachments.FileRef, ...] | None), UPLOAD_PROGRESS
    # (float 0..1 while a pending message's files are being uploaded, else None).
    ATTACHMENTS = _USER + 21
    UPLOAD_PROGRESS = _USER + 22
    # Issue 12 (numbered apart from other additions of the same issue): the message's
    # mentions as session.mentions.MentionSpan list, for highlighting.
    MENTIONS = _USER + 31


class MemberRoles(IntEnum):
    """Data roles of a member row (MembersModel); DisplayRole is the display name."""

    USER_ID = _USER + 1
    USERNAME = _USER + 2
    DISPLAY_NAME = _USER + 3
    IS_CREATOR = _USER + 4
    IS_ME = _USER + 5
    LAST_READ_SEQ = _USER + 6


class GroupRoles(IntEnum):
    """Data roles of a group row (GroupListModel)."""

    GROUP_ID = _USER + 1
    NAME = _USER + 2
    UNREAD = _USER + 3
    PREVIEW = _USER + 4
    LAST_TIME = _USER + 5
    MEMBER_COUNT = _USER + 6
    CREATOR_ID = _USER + 7
    IS_CREATOR = _USER + 8
    # Issue 12: the user's mute setting (bool), and whether an unread message mentions them.
    MUTED = _USER + 9
    UNREAD_MENTION = _USER + 10
