"""Cited question answering over Chinese news: parse, chunk, embed, index, retrieve, answer, serve."""

from rag.engine import Engine, build
from rag.errors import (
    ConfigError,
    IndexMismatch,
    IndexNotFound,
    InputError,
    LLMError,
    ModelError,
    NotFound,
    RagError,
    SourceError,
)
from rag.settings import Settings, get_settings
from rag.types import Answer, Article, Chunk, Citation, Hit

__all__ = [
    "Answer", "Article", "Chunk", "Citation", "ConfigError", "Engine", "Hit", "IndexMismatch", "IndexNotFound",
    "InputError", "LLMError", "ModelError", "NotFound", "RagError", "Settings", "SourceError", "build",
    "get_settings",
]
