"""The corpus: list and read articles; add (JSON or file upload) and delete them with the API key."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from rag.api.deps import EngineDep, SettingsDep, WriteKey, engine_for
from rag.api.errors import ERROR_RESPONSES, NOT_FOUND, WRITE_ERRORS, ApiError
from rag.api.metrics import WRITES
from rag.api.schemas import MAX_DOCUMENTS, DocumentsIn
from rag.errors import SourceError
from rag.sources import SourceProblem, article_from_record, parse_bytes
from rag.types import Article


def inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its `$defs` inlined: `#/$defs/...` does not resolve inside OpenAPI."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)  # type: ignore[no-any-return]


router = APIRouter(prefix="/api/documents", tags=["documents"], responses=ERROR_RESPONSES)


def _summary(engine: Any, a: Article) -> dict[str, Any]:
    return dict(a.meta(), chars=len(a.text), n_passages=len(engine.snapshot.article_rows(a.id)))


@router.get("", summary="List the indexed articles")
async def list_documents(engine: EngineDep) -> dict[str, Any]:
    return {"documents": [_summary(engine, a) for a in engine.snapshot.articles.values()]}


@router.get("/{doc_id}", summary="One article with its clean text", responses=NOT_FOUND)
async def get_document(doc_id: str, engine: EngineDep) -> dict[str, Any]:
    a = engine.snapshot.article(doc_id)
    return dict(_summary(engine, a), text=a.text)


@router.post("", summary="Add or replace articles (JSON or multipart files); needs the API key",
             dependencies=[WriteKey], responses=WRITE_ERRORS,
             openapi_extra={"requestBody": {"content": {
                 "application/json": {"schema": inline_defs(DocumentsIn.model_json_schema())},
                 "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
                     "files": {"type": "array", "minItems": 1,
                               "items": {"type": "string", "format": "binary"}},
                     "collection": {"type": "string", "maxLength": 64}}}}}}})
async def add_documents(request: Request, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    articles: list[Article] = []
    problems: list[SourceProblem] = []
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_DOCUMENTS, max_fields=MAX_DOCUMENTS)
        named = form.get("collection")
        engine = engine_for(request, named if isinstance(named, str) else None, engine)
        files = [v for _, v in form.multi_items() if hasattr(v, "read")]
        if not files:
            raise ApiError(400, "no_files", "the multipart upload has no files; send them as field 'files'")
        for f in files:
            data = await f.read()  # type: ignore[union-attr]
            # off the event loop: a PDF's text layer takes a while to read
            arts, probs = await run_in_threadpool(parse_bytes, data, f.filename or "upload")  # type: ignore[union-attr]
            articles.extend(arts)
            problems.extend(probs)
    elif ctype.startswith("application/json") or not ctype:
        try:
            payload = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
        except RecursionError:
            raise ApiError(400, "invalid_json", "the request body's JSON is nested too deeply") from None
        try:
            body = DocumentsIn.model_validate(payload)
        except Exception as exc:  # pydantic.ValidationError
            raise ApiError(422, "invalid_request", f"expected {{\"documents\": [{{id, title, text, ...}}]}}: "
                                                   f"{str(exc).splitlines()[0]} {_first_error(exc)}") from None
        engine = engine_for(request, body.collection, engine)
        for i, d in enumerate(body.documents):
            try:
                articles.append(article_from_record(d.model_dump(), f"documents[{i}]"))
            except SourceError as exc:
                problems.append(SourceProblem(f"documents[{i}]", str(exc).split(": ", 1)[-1]))
    else:
        raise ApiError(415, "unsupported_media_type",
                       "send application/json {\"documents\": [...]} or multipart/form-data files")
    if len(articles) > MAX_DOCUMENTS:
        raise ApiError(413, "too_many_documents", f"the upload holds {len(articles)} articles; the limit is "
                                                  f"{MAX_DOCUMENTS} per request: send them in parts")
    long = [a for a in articles if len(a.text) > settings.max_article_chars]
    if long:
        raise ApiError(413, "article_too_large", "; ".join(
            f"article {a.id!r} is {len(a.text)} characters long" for a in long[:5]) +
            f"; the limit is {settings.max_article_chars} characters (RAG_MAX_ARTICLE_CHARS): split it")
    ids = [a.id for a in articles]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ApiError(422, "duplicate_ids", f"the upload names these ids more than once: {', '.join(dupes)}")
    bad = [{"file": p.path, "reason": p.reason} for p in problems]
    if not articles:
        raise_nothing(bad)
    with WRITES.labels("upsert").time():
        report = await run_in_threadpool(engine.upsert, articles)
    return {"indexed": ids, "added": report.added, "updated": report.updated,
            "unchanged": [i for i in ids if i not in report.added and i not in report.updated],
            "problems": bad, "passages": report.chunks,
            "message": f"indexed {len(ids)} article(s)" + (f"; {len(bad)} file(s) rejected" if bad else "")}


def raise_nothing(bad: list[dict[str, str]]) -> None:
    detail = "; ".join(f"{b['file']}: {b['reason']}" for b in bad) or "nothing to index"
    raise ApiError(422, "nothing_indexed", f"nothing was indexed: {detail}", problems=bad)


def _first_error(exc: Exception) -> str:
    errs = getattr(exc, "errors", None)
    if callable(errs):
        e = errs()[0]
        return f"({'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')})"
    return ""


@router.delete("/{doc_id}", summary="Remove an article; needs the API key", dependencies=[WriteKey],
               responses=WRITE_ERRORS)
async def delete_document(doc_id: str, engine: EngineDep) -> dict[str, Any]:
    engine.snapshot.article(doc_id)  # 404 before taking the write lock
    with WRITES.labels("delete").time():
        report = await run_in_threadpool(engine.delete, doc_id)
    return {"deleted": doc_id, "passages": report.chunks, "message": f"deleted {doc_id}"}

