"""The one error hierarchy of the package.

    RagError
    ├── ConfigError          a setting is invalid
    ├── SourceError          an article file cannot be parsed (names the file and why)
    ├── ModelError           the embedding model cannot be obtained or loaded
    ├── IndexError_          the index on disk is missing, corrupt or built differently
    │   ├── IndexNotFound
    │   └── IndexMismatch    built with another model or chunking: rebuild it
    ├── InputError           a request or argument is invalid (HTTP 4xx at the edge)
    │   ├── NotFound         an id that does not exist
    │   └── Conflict         a name that exists already
    └── LLMError             the configured LLM failed (the answer falls back to extractive)

Library code raises these; the CLI and the API turn them into exit codes and HTTP
responses at the edge.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: every error the package raises on purpose."""


class ConfigError(RagError):
    """A setting has an invalid value."""


class SourceError(RagError):
    """An article file cannot be parsed; the message names the file and the reason."""


class ModelError(RagError):
    """The embedding model cannot be obtained, converted or loaded."""


class IndexError_(RagError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """The index on disk is unusable."""


class IndexNotFound(IndexError_):
    """No index exists at the configured directory."""


class IndexMismatch(IndexError_):
    """The index was built with a different model or chunking settings."""


class InputError(RagError):
    """A question, request or argument is invalid."""


class NotFound(InputError):
    """A document or chunk id does not exist."""


class Conflict(InputError):
    """The thing to create exists already."""


class LLMError(RagError):
    """The configured LLM failed; callers fall back to the extractive answer."""
