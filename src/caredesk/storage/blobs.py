"""Content-addressed blob store on the filesystem: sha256 names, atomic writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from caredesk.domain.errors import NotFound

_CHUNK = 1 << 20


class BlobStore:
    """Stores each distinct byte string once, at `root/ab/cd/abcd…` named by its sha256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFound("no such blob", digest=digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def put_bytes(self, content: bytes) -> str:
        return self.put_chunks([content])

    def put_chunks(self, chunks: Iterable[bytes]) -> str:
        """Write the chunks to a temp file, fsync, then rename into place; returns the sha256.

        A crash leaves at most a stray temp file, never a partial blob under a real name.
        """
        digest = hashlib.sha256()
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            final = self.path_for(digest.hexdigest())
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp_path.replace(final)
            _fsync_dir(final.parent)
        finally:
            tmp_path.unlink(missing_ok=True)
        return digest.hexdigest()

    def read_bytes(self, digest: str) -> bytes:
        path = self.path_for(digest)
        if not path.is_file():
            raise NotFound("no such blob", digest=digest)
        return path.read_bytes()

    def verify(self, digest: str) -> bool:
        """True when the stored bytes still hash to their name."""
        sha = hashlib.sha256()
        with self.path_for(digest).open("rb") as handle:
            while block := handle.read(_CHUNK):
                sha.update(block)
        return sha.hexdigest() == digest

    def writable(self) -> bool:
        return os.access(self.root, os.W_OK)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
