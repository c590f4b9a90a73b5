"""Liveness and readiness."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from bot.api.deps import ServicesDep
from bot.handoff.presence import Presence
from bot.web.metrics import render

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """200 when the database, Redis and Rasa all answer and the knowledge base is
    indexed; 503 naming what is not."""

    def db_ok() -> bool:
        with services.db.session() as session:
            session.execute(text("SELECT 1"))
        return True

    checks: dict[str, bool] = {}
    try:
        checks["database"] = await to_thread.run_sync(db_ok)
    except Exception:
        checks["database"] = False
    try:
        checks["redis"] = await services.events.ping()
    except Exception:
        checks["redis"] = False
    checks["rasa"] = await services.rasa.ready()
    checks["knowledge_base"] = services.kb_indexed
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(services: ServicesDep) -> PlainTextResponse:
    """Prometheus text format: messages, queues, handoffs, agents, SLA, Rasa timings."""
    statuses = await Presence(services.events.redis, services.settings.redis_prefix).statuses()

    def work() -> str:
        with services.db.session() as session:
            return render(session, statuses, services.rasa.stats, services.inbox)

    body = await to_thread.run_sync(work)
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
