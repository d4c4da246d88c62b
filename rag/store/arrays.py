"""Arrays read from the index's .npy files, one thread at a time.

numpy reads a .npy header with ast.literal_eval. In CPython 3.11 before 3.11.8 the AST constructor's recursion
depth is interpreter state that threads share and that a failed construction can leave wrong
(python/cpython#106905); a parse then fails with "SystemError: AST constructor recursion depth mismatch". The
fuzz test in tests/test_reliability.py got a 500 from POST /api/documents once in CI (at adf0be2, Python 3.11.7):
the upload's write failed in np.load of a segment's header. Serialising the index's .npy reads removes the one
way the service's own threads parse at the same time (an upload's write and a background merge both open
segments); it cannot undo a depth left wrong by a failed parse elsewhere in the process. Opening is rare and
fast (memory-mapped), so the lock costs nothing measurable.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

_LOCK = threading.Lock()


def load_array(path: Path, mmap: bool = False) -> np.ndarray:
    """np.load of one .npy file (memory-mapped read-only when `mmap`), serialised across threads."""
    with _LOCK:
        return np.load(path, mmap_mode="r" if mmap else None)
