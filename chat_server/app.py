"""The ASGI application: FastAPI for REST, wrapped by Socket.IO, both sharing one AppContext."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from chat_server import __version__
from chat_server.adminkey import load_or_create_admin_key
from chat_server.api import auth, events, files, groups, handlers, health, messages, search, users
from chat_server.api.bodylimit import BodySizeLimit
from chat_server.api.headers import SecurityHeaders
from chat_server.api.openapi_doc import install_openapi
from chat_server.api.plain import PlainApp, doc_routes
from chat_server.config import Settings
from chat_server.context import AppContext
from chat_server.files.blobstore import BlobStore, DatabaseBlobStore, DirBlobStore
from chat_server.metrics import Metrics
from chat_server.ratelimit_shared import make_limiters
from chat_server.realtime.server import Realtime
from chat_server.services.auth import LOGIN_WINDOW_SECONDS, AuthService
from chat_server.services.control import ControlFollower
from chat_server.services.demo import seed_demo
from chat_server.services.events import EventService
from chat_server.services.fanout import FanoutRelay
from chat_server.services.files import FileService
from chat_server.services.groups import GroupService
from chat_server.services.messages import MessageService
from chat_server.services.search import SearchService
from chat_server.services.users import UserService
from chat_server.storage.db import Database

log = logging.getLogger(__name__)


def build_context(settings: Settings) -> AppContext:
    metrics = Metrics()
    db = Database(settings.database_url)
    fanout = FanoutRelay()
    limiters = make_limiters(
        send_burst=settings.send_burst,
        send_window_seconds=settings.send_window_seconds,
        login_failures=settings.login_failures_per_minute,
        login_window_seconds=LOGIN_WINDOW_SECONDS,
        redis_url=settings.redis_url,
        namespace=settings.redis_channel,
    )
    auth_service = AuthService(
        db,
        settings,
        fanout,
        metrics,
        failures_by_name=limiters.login_by_name,
        failures_by_address=limiters.login_by_address,
    )
    group_service = GroupService(db, fanout)
    message_service = MessageService(db, settings, fanout, metrics, limiters.send)
    admin_key = (
        settings.admin_key.get_secret_value()
        if settings.admin_key is not None
        else load_or_create_admin_key(settings.admin_key_path)
    )
    realtime = Realtime(settings, metrics, admin_key, auth_service, group_service, message_service)
    fanout.target = realtime
    control = ControlFollower(db, auth_service)
    control.sink = realtime
    metrics.control_log_age.set_function(control.age)
    file_service = FileService(db, settings, _blob_store(settings, db))
    event_service = EventService(db, settings, fanout, limiters.send)
    event_service.release_blobs = file_service.collect
    return AppContext(
        settings=settings,
        db=db,
        metrics=metrics,
        auth=auth_service,
        users=UserService(db, settings.user_search_max),
        groups=group_service,
        messages=message_service,
        events=event_service,
        search=SearchService(db, settings.search_burst),
        realtime=realtime,
        limiters=limiters,
        control=control,
        files=file_service,
    )


def _blob_store(settings: Settings, db: Database) -> BlobStore:
    if settings.file_store_kind == "database":
        return DatabaseBlobStore(db, settings.data_dir)
    return DirBlobStore(settings.data_dir)


def create_app(settings: Settings) -> SecurityHeaders:
    """Build the whole server; the database is migrated (and the demo seeded) at startup."""
    context = build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await context.db.migrate()
        context.realtime.instance_id = context.db.instance_id
        await context.realtime.start()
        await context.control.start()
        await context.files.start()
        if settings.demo:
            await seed_demo(context.db, context.auth, context.groups, context.messages)
        log.info(
            "server ready",
            extra={
                "database": context.db.describe(),
                "redis": bool(settings.redis_url),
                "version": __version__,
            },
        )
        try:
            yield
        finally:
            await context.files.close()
            await context.control.close()
            await context.realtime.close()
            await context.limiters.aclose()
            await context.db.close()

    # /docs and /redoc load their JavaScript from a CDN (a blank page offline, and a third
    # party in the page): off unless the operator asks (--api-docs). /openapi.json is always on.
    docs = settings.api_docs
    api = FastAPI(
        title="Chat server",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    api.state.ctx = context
    handlers.install(api)
    for router in (
        auth.router,
        users.router,
        groups.router,
        messages.router,
        events.router,
        search.router,
        files.router,
        health.router,
    ):
        api.include_router(router)
    plain_routes = [*groups.plain.routes, *messages.plain.routes]
    install_openapi(api, doc_routes(plain_routes), settings)
    served = PlainApp(api, context, plain_routes)
    # Uploads stream to a file under their own limit (--max-upload-bytes; api/files.py).
    limited = BodySizeLimit(
        served, settings.request_body_max_bytes, exempt_prefixes=(files.UPLOADS_PREFIX,)
    )
    app = SecurityHeaders(context.realtime.asgi_app(limited))
    app.state_context = context  # for embedders and tests that want to look inside
    return app
