"""The exact /openapi.json: every status each route can answer, with the Error schema, and the
bounds the server enforces (some are settings), for FastAPI and plain routes alike.

Routes declare the errors of their own rules with `errors_doc`; the ones every route of a kind
can answer are added here, so a new route is right the day it is added:
401 on every route that takes a token, 404 on every route with a group in its path (a
non-member is told the group does not exist), 413 on every route (the body limit is checked
before routing), 422 on every route with a parameter or a body, 503 on every /api route (the
database may be unreachable).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from chat_protocol.models import Error
from chat_server.config import Settings

OpenApi = dict[str, Any]
ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    401: "`unauthorized`: no valid bearer token (missing, malformed, unknown, expired or revoked)",
    403: "forbidden",
    404: "`not_found`: no such group, or the caller is not a member",
    409: "a conflict with what is stored",
    413: "`payload_too_large`: the request body is over the server's limit",
    422: "`validation_error`: the request does not have the documented shape",
    429: "`rate_limited`: over a rate limit; see `Retry-After`",
    503: "`unavailable`: the database cannot be reached now; retry",
}
# Answers FastAPI documents on its own that are not ours (its validation error shape).
_FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def errors_doc(*statuses: int | tuple[int, str]) -> dict[int | str, Any]:
    """`responses=` entries for a route's own errors: a status, or (status, description)."""
    doc: dict[int | str, Any] = {}
    for entry in statuses:
        status, text = entry if isinstance(entry, tuple) else (entry, DESCRIPTIONS[entry])
        doc[status] = {"model": Error, "description": text}
    return doc


def build_openapi(api: FastAPI, extra_routes: list[APIRoute], settings: Settings) -> OpenApi:
    """The document of `api`'s routes plus `extra_routes` (the plain ones), made exact."""
    doc = get_openapi(
        title=api.title,
        version=api.version,
        description="The chat server's REST API (protocol v1); every error is an `Error`.",
        routes=[*api.routes, *extra_routes],
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Error.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"])
    schemas["Error"] = _without_defs(
        Error.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in _METHODS:
                _hoist_defs(operation, schemas)
                _fix_parameters(operation)
                _add_errors(path, operation)
    _setting_bounds(doc, settings)
    for name in _FRAMEWORK_SCHEMAS:
        schemas.pop(name, None)
    return doc


def install_openapi(api: FastAPI, extra_routes: list[APIRoute], settings: Settings) -> None:
    """Serve `build_openapi`'s document at /openapi.json (built once, on first request)."""

    def openapi() -> OpenApi:
        if api.openapi_schema is None:
            api.openapi_schema = build_openapi(api, extra_routes, settings)
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def _without_defs(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "$defs"}


def _hoist_defs(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Request bodies we parse ourselves carry nested models in `$defs`; the references point
    at components, so the definitions go there."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)


# pydantic writes constraints it cannot place (a constraint after a validator in `Annotated`)
# under their Python names; JSON Schema has its own.
_CONSTRAINT_NAMES = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}


def _json_schema_names(schema: dict[str, Any]) -> None:
    for python_name, json_name in _CONSTRAINT_NAMES.items():
        if python_name in schema:
            schema[json_name] = schema.pop(python_name)
    for option in schema.get("anyOf", []):
        _json_schema_names(option)


def _fix_parameters(operation: dict[str, Any]) -> None:
    """Constraints under their JSON Schema names; an optional query parameter is absent or a
    value, never JSON null."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        _json_schema_names(schema)
        options = schema.get("anyOf")
        if parameter.get("in") == "query" and options and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            if len(rest) == 1:
                del schema["anyOf"]
                schema.update(rest[0])


def _add_errors(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    wanted = {413}
    if operation.get("security"):
        wanted.add(401)
    if "{group_id}" in path:
        wanted.add(404)
    if operation.get("parameters") or operation.get("requestBody"):
        wanted.add(422)
    if path.startswith("/api/"):
        wanted.add(503)
    for status in wanted:
        key = str(status)
        if key not in responses or _is_framework_answer(responses[key]):
            responses[key] = {"description": DESCRIPTIONS[status]}
    for key, response in responses.items():
        if int(key) >= 400 and not response.get("content"):
            response["content"] = {"application/json": {"schema": ERROR_REF}}
        elif _is_framework_answer(response):
            response["content"] = {"application/json": {"schema": ERROR_REF}}


def _is_framework_answer(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def _setting_bounds(doc: OpenApi, settings: Settings) -> None:
    """Limits an operator sets, as this server enforces them."""
    messages = doc["paths"].get("/api/groups/{group_id}/messages", {})
    for parameter in messages.get("get", {}).get("parameters", []):
        if parameter["name"] == "limit":
            parameter["schema"]["maximum"] = settings.page_limit_max
    send = messages.get("post", {}).get("requestBody", {}).get("content", {})
    for media in send.values():
        media["schema"]["properties"]["body"]["maxLength"] = settings.body_max
    upload = doc["paths"].get("/api/uploads/{upload_id}", {}).get("put")
    if upload is not None:
        upload["description"] = (
            f"{upload.get('description', '')} At most {settings.max_upload_bytes} bytes "
            "(`--max-upload-bytes`)."
        ).strip()
