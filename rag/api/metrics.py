"""Prometheus metrics (prometheus-client): requests per route, ask outcomes, index size, write durations.

Served as text at GET /metrics. Routes are labelled by their path template (`/api/documents/{doc_id}`), so an
unknown path cannot add label values."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUESTS = Counter("rag_http_requests_total", "HTTP requests by route, method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("rag_http_request_seconds", "HTTP request latency by route", ["route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ASKS = Counter("rag_ask_outcomes_total", "answers by outcome: answered, refused (not in the articles), "
               "degraded (the LLM failed and the extractive answer stood in)", ["outcome"])
PASSAGES = Gauge("rag_index_passages", "passages in the live index")
ARTICLES = Gauge("rag_index_articles", "articles in the live index")
WRITES = Histogram("rag_index_write_seconds", "duration of index writes by kind (upsert, delete)", ["kind"],
                   buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))

router = APIRouter(tags=["health"])


def observe_request(scope: dict[str, Any], status: int, seconds: float) -> None:
    route = scope.get("route")
    name = getattr(route, "path", None) or "unmatched"
    REQUESTS.labels(name, scope.get("method", ""), str(status)).inc()
    LATENCY.labels(name).observe(seconds)


def observe_answer(answer: dict[str, Any]) -> None:
    ASKS.labels("degraded" if answer.get("degraded") else
                "answered" if answer.get("answerable") else "refused").inc()


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    engine = getattr(request.app.state, "engine", None)
    if engine is not None and getattr(engine, "_snap", None) is not None:
        PASSAGES.set(len(engine.snapshot))
        ARTICLES.set(len(engine.snapshot.articles))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
