"""The ASGI application: web chat, REST API, health, and the background worker."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from anyio import to_thread
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError

from bot.api import (
    api_tokens,
    canned,
    channel_setup,
    dashboard,
    desk,
    floor,
    followups,
    health,
    internal,
    kb,
    notifications,
    quality,
    revisits,
    shifts,
    sla_config,
    targets,
    ticket_actions,
    tickets,
    transcripts,
    users,
    vips,
)
from bot.api import audit as audit_api
from bot.api import privacy as privacy_api
from bot.console import (
    chat_assist,
    csrf,
    desk_feed,
    floor_feed,
    offer_routes,
    pages,
    staff_app,
    ticket_panel,
)
from bot.console import routes as console_routes
from bot.core.bounded import within
from bot.core.config import Settings, get_settings
from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.live_events import LiveEvents
from bot.core.log_format import configure_logging
from bot.handoff.offers import OfferRouter
from bot.handoff.presence import Presence
from bot.kb.matcher import KbMatcher
from bot.pipeline.group_commit import InboxWriter
from bot.pipeline.outbox import Delivery
from bot.pipeline.rasa_client import RasaClient
from bot.pipeline.worker import SlaLoop, Worker
from bot.sla import setup as sla_setup
from bot.sla.notify import Notifier
from bot.tickets.commands import CommandRefused
from bot.web import error_responses
from bot.web.body_limit import BodyLimit
from bot.web.fast_path import WebhookFastPath
from bot.web.security_headers import SecurityHeaders
from bot.web.services import Services
from channels import registry

log = logging.getLogger(__name__)


def build_services(settings: Settings) -> Services:
    db = Database(settings.database_url, settings.sqlite_synchronous)
    events = LiveEvents(settings.redis_url, settings.redis_prefix)
    vault = ContactVault(settings.data_key, db.engine) if settings.data_key else None
    services = Services(
        settings=settings,
        db=db,
        events=events,
        rasa=RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s),
        # one store in flight for SQLite's single writer; PostgreSQL commits side by side
        inbox=InboxWriter(db, vault, in_flight=1 if db.is_sqlite else 2),
        vault=vault,
    )
    services.handoffs = OfferRouter(
        db, Presence(events.redis, settings.redis_prefix), events, settings.offer_seconds
    )
    services.kb = KbMatcher(db)
    services.senders.update(registry.make_senders(services))
    return services


SHUTDOWN_STEP_S = 10.0


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # One thread for sentence embeddings in the service: a question takes ~15 ms on one
    # core, and the other core stays free for webhooks (set before the model loads).
    os.environ.setdefault("ANXIN_EMBED_THREADS", "1")
    settings.require_secrets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings)
        app.state.services = services
        task: asyncio.Task[None] | None = None
        listening: asyncio.Task[None] | None = None
        if settings.worker_enabled:
            delivery = Delivery(
                services.db,
                services.senders,
                services.vault,
                give_up_after=timedelta(seconds=settings.delivery_give_up_s),
                max_backoff_s=settings.delivery_max_backoff_s,
            )
            services.worker = Worker(
                services.db,
                services.rasa,
                delivery,
                settings.worker_concurrency,
                timedelta(seconds=settings.inbox_lease_s),
                sla=SlaLoop(
                    sla_setup.ladder_config(settings),
                    Notifier(
                        services.db,
                        services.events,
                        sla_setup.addresses(settings),
                        sla_setup.smtp(settings),
                    ),
                    settings.sla_scan_s,
                    services.handoffs,
                ),
                settings=settings,
            )
            task = asyncio.create_task(services.worker.run())
            listening = asyncio.create_task(services.listen_for_wakes())
        # Embed the knowledge base now, not on the first customer's question.
        warming = asyncio.create_task(_finish_start_up(services))
        try:
            yield
        finally:
            # Every step is bounded: a shutdown that hangs (a CI run's did, for 15
            # minutes) is worse than one that leaves a task behind.
            services.stopping.set()
            if services.worker is not None:
                services.worker.stop()
            for what, running in (("stopping the worker", task), ("stopping wakes", listening)):
                if running is not None:
                    running.cancel()
                    await within(f"shutdown: {what}", running, SHUTDOWN_STEP_S)
            # a thread cannot be cancelled: give the start-up work time to finish
            await within("shutdown: start-up work", warming, 3 * SHUTDOWN_STEP_S)
            await within(
                "shutdown: closing the Rasa client", services.rasa.close(), SHUTDOWN_STEP_S
            )
            await within(
                "shutdown: closing the provider clients",
                registry.close_senders(services.senders),
                SHUTDOWN_STEP_S,
            )
            await within("shutdown: closing Redis", services.events.close(), SHUTDOWN_STEP_S)
            services.db.dispose()

    app = FastAPI(
        title="Anxin service desk API",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs" if settings.api_docs_on else None,
        redoc_url=None,
    )
    # The provider webhooks first: routes are tried in order, and matching the webhook
    # of every message against all the console and API routes before it was a tenth of
    # the web process's CPU in a burst (py-spy).
    for channel_router in registry.ROUTERS:
        app.include_router(channel_router)
    api = APIRouter(prefix="/api/v1")
    api.include_router(internal.router)
    api.include_router(tickets.router)
    api.include_router(ticket_actions.router)
    api.include_router(desk.router)
    api.include_router(sla_config.router)
    api.include_router(followups.router)
    api.include_router(revisits.router)
    api.include_router(canned.router)
    api.include_router(notifications.router)
    api.include_router(kb.router)
    api.include_router(transcripts.router)
    api.include_router(quality.router)
    api.include_router(dashboard.router)
    api.include_router(targets.router)
    api.include_router(floor.router)
    api.include_router(audit_api.router)
    api.include_router(users.router)
    api.include_router(api_tokens.router)
    api.include_router(shifts.router)
    api.include_router(vips.router)
    api.include_router(channel_setup.router)
    api.include_router(privacy_api.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(console_routes.router)
    app.include_router(offer_routes.router)
    app.include_router(chat_assist.router)
    app.include_router(ticket_panel.router)
    app.include_router(pages.router)
    app.include_router(desk_feed.router)
    app.include_router(floor_feed.router)
    app.include_router(staff_app.router)

    # innermost: past the size limit, CSRF check and security headers, before routing
    app.add_middleware(WebhookFastPath, routes=[r for c in registry.ROUTERS for r in c.routes])
    app.add_middleware(BodyLimit)
    app.add_middleware(csrf.CsrfGuard)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Say what was wrong without echoing the customer's input back into logs.
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return error_responses.http_error(exc)

    @app.exception_handler(CommandRefused)
    async def _refused(_: Request, exc: CommandRefused) -> JSONResponse:
        return error_responses.refused(exc)

    @app.exception_handler(RecursionError)
    async def _too_deep(_: Request, exc: RecursionError) -> JSONResponse:
        return error_responses.too_deep()

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        return error_responses.out_of_range()

    @app.exception_handler(DBAPIError)
    async def _database_down(_: Request, exc: DBAPIError) -> JSONResponse:
        return error_responses.database_down(exc)

    return app


async def _warm_knowledge_base(services: Services) -> None:
    if services.kb is None:
        services.kb_indexed = True
        return
    try:
        today = datetime.now(services.timezone).date()
        await to_thread.run_sync(services.kb.warm, today, services.stopping)
    except Exception as exc:  # the first question will build it instead
        log.warning("knowledge base not indexed at start: %s", type(exc).__name__)
    finally:
        services.kb_indexed = True


async def _finish_start_up(services: Services) -> None:
    await _warm_knowledge_base(services)
    freeze_startup_heap()
    share_the_interpreter_finely()


GIL_SWITCH_S = 0.0005


def share_the_interpreter_finely() -> None:
    """Let a thread waiting for the interpreter lock get it within half a millisecond,
    not Python's default five: a webhook's store runs in a thread, and each of its
    SQLite statements gives the lock up and must take it back from the event loop,
    which under a burst is always busy, so a store waited up to 5 ms per statement."""
    sys.setswitchinterval(GIL_SWITCH_S)


def freeze_startup_heap() -> None:
    """Take what start-up built (the app, the models, the knowledge-base index) out of
    the garbage collector's full collections, which walked all of it every time: about
    260,000 objects, 156 ms of one core here, stalling every request in flight. New
    objects are collected as before."""
    gc.collect()
    gc.freeze()


def app_factory() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
