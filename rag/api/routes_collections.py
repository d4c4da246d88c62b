"""Collections: list, create and delete knowledge bases (writes need the API key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from rag.api.deps import LibraryDep, WriteKey
from rag.api.errors import CONFLICT, ERROR_RESPONSES, NOT_FOUND, WRITE_ERRORS
from rag.collections import NAME

router = APIRouter(prefix="/api/collections", tags=["collections"], responses=ERROR_RESPONSES)


class CollectionIn(BaseModel):
    name: str = Field(..., pattern=NAME.pattern, description="1-64 lowercase letters, digits, '-' or '_'")


def _brief(library: Any, name: str) -> dict[str, Any]:
    snap = library.get(name).snapshot
    return {"name": name, "articles": len(snap.articles), "passages": len(snap)}


@router.get("", summary="The collections, with their sizes")
async def list_collections(library: LibraryDep) -> dict[str, Any]:
    return {"collections": [_brief(library, n) for n in library.names()]}


@router.post("", summary="Create an empty collection; needs the API key", status_code=201, dependencies=[WriteKey],
             responses={**WRITE_ERRORS, **CONFLICT})
async def create_collection(body: CollectionIn, library: LibraryDep) -> dict[str, Any]:
    await run_in_threadpool(library.create, body.name)
    return _brief(library, body.name)


@router.delete("/{name}", summary="Delete a collection and all its articles; needs the API key",
               dependencies=[WriteKey], responses={**WRITE_ERRORS, **NOT_FOUND})
async def delete_collection(library: LibraryDep, name: str = Path(..., pattern=NAME.pattern)) -> dict[str, Any]:
    await run_in_threadpool(library.delete, name)
    return {"deleted": name, "message": f"deleted collection {name} and its articles"}
