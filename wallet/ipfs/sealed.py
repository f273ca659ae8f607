"""Publish and fetch sealed envelopes: the only way data goes to or comes from IPFS.

``publish_sealed`` seals into a scratch file (ciphertext only; plaintext never touches
disk here) and hands that file to the backend, so a large bundle is never held twice
in memory. ``fetch_sealed`` returns plaintext only after every chunk is authenticated.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from ..events import CancelToken, ProgressSink
from ..vault.stream import DEFAULT_MAX_PLAINTEXT, open_bytes, seal_stream
from .backend import DEFAULT_GET_TIMEOUT, IpfsBackend
from .cid import Cid

__all__ = ["fetch_sealed", "publish_sealed"]


def publish_sealed(
    backend: IpfsBackend,
    key: bytes,
    source: bytes | BinaryIO,
    *,
    purpose: str,
    aad: bytes = b"",
    scratch_dir: str | os.PathLike[str] | None = None,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> Cid:
    """Seal ``source`` (see :func:`wallet.vault.stream.seal_stream`), store and pin it; return its CID."""
    if scratch_dir is not None:
        Path(scratch_dir).mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="hw-envelope-", suffix=".sealed", dir=scratch_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as sink:
            seal_stream(key, source, sink, purpose=purpose, aad=aad, progress=progress, cancel=cancel)
        if cancel is not None:
            cancel.check()
        return backend.add(path)
    finally:
        path.unlink(missing_ok=True)


def fetch_sealed(
    backend: IpfsBackend,
    cid: Cid,
    key: bytes,
    *,
    purpose: str,
    aad: bytes = b"",
    max_plaintext: int = DEFAULT_MAX_PLAINTEXT,
    timeout: float = DEFAULT_GET_TIMEOUT,
) -> bytes:
    """Fetch ``cid`` and open it; raises IpfsError subclasses or DecryptionError, never returns garbage."""
    blob = backend.get(cid, timeout=timeout)
    return open_bytes(key, blob, purpose=purpose, aad=aad, max_plaintext=max_plaintext)
