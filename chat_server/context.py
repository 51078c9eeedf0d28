"""The objects one server instance is made of, wired together once in create_app."""

from __future__ import annotations

from dataclasses import dataclass

from chat_server.config import Settings
from chat_server.metrics import Metrics
from chat_server.ratelimit_shared import Limiters
from chat_server.realtime.server import Realtime
from chat_server.services.auth import AuthService
from chat_server.services.control import ControlFollower
from chat_server.services.events import EventService
from chat_server.services.files import FileService
from chat_server.services.groups import GroupService
from chat_server.services.messages import MessageService
from chat_server.services.search import SearchService
from chat_server.services.users import UserService
from chat_server.storage.db import Database


@dataclass
class AppContext:
    settings: Settings
    db: Database
    metrics: Metrics
    auth: AuthService
    users: UserService
    groups: GroupService
    messages: MessageService
    events: EventService
    search: SearchService
    realtime: Realtime
    limiters: Limiters
    control: ControlFollower
    files: FileService
