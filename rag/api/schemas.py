"""Request bodies of the API, validated by pydantic; limits come from settings at the edge."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag.collections import NAME
from rag.retrieval import Filters

NOT_BLANK = r"\S"  # at least one character that is not white space
COLLECTION_NAME = NAME.pattern
# a conversation must hold a question: a user message with text
HAS_USER_TEXT: dict[str, Any] = {"contains": {"type": "object", "required": ["role", "content"], "properties": {
    "role": {"const": "user"}, "content": {"type": "string", "minLength": 1, "pattern": NOT_BLANK}}}}


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, max_length=200, description="outlet name contains this text")
    date_from: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"},
                                  description="ISO date YYYY-MM-DD, inclusive")
    date_to: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"},
                                description="ISO date YYYY-MM-DD, inclusive")

    @field_validator("date_from", "date_to")
    @classmethod
    def _real_date(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"{v[:10]!r} is not a calendar date (YYYY-MM-DD)") from None
        return v

    def to_filters(self) -> Filters:
        return Filters(self.source, self.date_from, self.date_to)


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., min_length=1, pattern=NOT_BLANK,
                          description="the question, in Chinese (either script) or English")
    top_k: int | None = Field(None, ge=1, le=50, description="passages to retrieve")
    filters: FiltersIn | None = None
    collection: str | None = Field(None, pattern=COLLECTION_NAME, description="the collection to use (default: "
                                                                             "`default`; GET /api/collections)")


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant"]
    content: str = Field(..., min_length=1, max_length=20_000, pattern=NOT_BLANK)


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[Message] = Field(..., min_length=1, max_length=100, json_schema_extra=HAS_USER_TEXT)
    stream: bool = Field(False, strict=True)
    top_k: int | None = Field(None, ge=1, le=50)
    filters: FiltersIn | None = None
    collection: str | None = Field(None, pattern=COLLECTION_NAME, description="the collection to use (default: "
                                                                             "`default`; GET /api/collections)")


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., min_length=1, max_length=200, pattern=r"^[\w\-.]+$")
    title: str = Field(..., max_length=1000)
    text: str = Field(..., min_length=1)
    url: str | None = Field(None, max_length=2000)
    source: str | None = Field(None, max_length=200)
    published: str | None = Field(None, max_length=64)
    author: str | None = Field(None, max_length=200)

    @field_validator("id")
    @classmethod
    def _not_dots(cls, v: str) -> str:
        if v in (".", ".."):
            raise ValueError("'.' and '..' cannot be article ids (they cannot be opened as a path)")
        return v


MAX_DOCUMENTS = 1000  # articles per upload request, JSON or multipart (keeps one write under a minute)


class DocumentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentIn] = Field(..., min_length=1, max_length=MAX_DOCUMENTS)
    collection: str | None = Field(None, pattern=COLLECTION_NAME, description="the collection to use (default: "
                                                                             "`default`; GET /api/collections)")


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, object]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if isinstance(p, dict))
        return self.content or ""


class OpenAIChatIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str = Field("rag-news", description="`rag-news` (the default collection) or `rag-news:NAME` (collection "
                                                "NAME; GET /v1/models lists them); any other name means the default")
    messages: list[OpenAIMessage] = Field(..., min_length=1, max_length=100, json_schema_extra=HAS_USER_TEXT)
    stream: bool = Field(False, strict=True)
    n: int = Field(1, ge=1, le=1, description="only one choice is produced; n > 1 is refused")
    filters: FiltersIn | None = Field(None, description="outlet and date filters, as /api/ask takes them (an extra field)")
