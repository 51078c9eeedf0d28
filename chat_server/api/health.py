"""/healthz and /metrics for operators and load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chat_protocol.models import Health
from chat_server import __version__
from chat_server.api.common import ctx, json_response
from chat_server.metrics import CONTENT_TYPE
from chat_server.realtime.managers import RedisManager

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(request: Request) -> Response:
    context = ctx(request)
    db_ok = await context.db.ping()
    manager = context.realtime.manager
    if isinstance(manager, RedisManager):
        if not manager.listener_alive():
            redis = "listener_dead"
        else:
            redis = "ok" if await manager.redis_ping() else "down"
    else:
        redis = "disabled"
    control_log = context.control.state()
    healthy = db_ok and redis in ("ok", "disabled") and control_log == "ok"
    body = {
        "status": "ok" if healthy else "degraded",
        "db": "ok" if db_ok else "down",
        "redis": redis,
        "version": __version__,
        "instance_id": context.db.instance_id,
        "control_log": control_log,
    }
    return json_response(body, 200 if healthy else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text", "content": {CONTENT_TYPE: {}}}},
)
async def metrics(request: Request) -> Response:
    return Response(ctx(request).metrics.render(), media_type=CONTENT_TYPE)
