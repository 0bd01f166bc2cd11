"""The app factory: the Starlette app with every route, wrapped in the gateway."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from constantcontact_emulator import errors
from constantcontact_emulator.config import EmulatorConfig
from constantcontact_emulator.extensions import Extension
from constantcontact_emulator.gateway import Gateway
from constantcontact_emulator.routes import (
    account,
    admin,
    contacts,
    custom_fields,
    lists,
    oauth,
    segments,
    tags,
)
from constantcontact_emulator.routing import ApiRoute
from constantcontact_emulator.runtime import Emulator

logger = logging.getLogger(__name__)

CORE_API_ROUTES: Sequence[BaseRoute] = (
    *contacts.routes,
    *lists.routes,
    *tags.routes,
    *custom_fields.routes,
    *segments.routes,
    *account.routes,
)


async def _api_error(request: Request, exc: errors.ApiError) -> Response:
    return exc.response()


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        error = errors.ApiError(
            405, errors.METHOD_NOT_ALLOWED, f"Method {request.method} is not allowed here."
        )
    elif exc.status_code == 404:
        error = errors.ApiError(404, errors.NOT_FOUND, f"No resource at {request.url.path}.")
    else:
        error = errors.ApiError(exc.status_code, errors.BAD_REQUEST, str(exc.detail))
    return error.response()


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("Unhandled error in %s %s", request.method, request.url.path)
    return errors.ApiError(
        500, errors.SERVER_ERROR, "There was a problem with our internal service."
    ).response()


def create_app(config: EmulatorConfig, extensions: Sequence[Extension] | None = None) -> Gateway:
    emulator = Emulator(config, extensions)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        emulator.save()

    api_routes: list[BaseRoute] = list(CORE_API_ROUTES)
    for extension in emulator.extensions:
        api_routes.extend(extension.routes)
    starlette = Starlette(
        routes=[*oauth.routes, *admin.routes, *api_routes],
        exception_handlers={
            errors.ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    starlette.state.emulator = emulator
    return Gateway(starlette, emulator, [r for r in api_routes if isinstance(r, ApiRoute)])
