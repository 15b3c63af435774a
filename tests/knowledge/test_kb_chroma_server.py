"""Against a real `chroma run` server on 127.0.0.1: the HttpClient path loads and searches."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from caredesk.domain.errors import UpstreamUnavailable
from caredesk.knowledge.service import KnowledgeBase

KbFactory = Callable[..., KnowledgeBase]
CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMA.exists():
        pytest.skip("the chroma CLI is not installed in this environment")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    command = [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_heartbeat(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_heartbeat(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail("chroma run exited before it answered")
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("chroma run did not answer its heartbeat within 30 s")


@pytest.mark.slow
def test_load_and_search_through_a_chroma_server(
    chroma_url: str, tmp_path: Path, kb_folder: Path, make_kb: KbFactory
) -> None:
    kb = make_kb(tmp_path / "var", kb_folder, vector_url=chroma_url)
    report = kb.load()
    assert report.documents == 6 and report.problems == []
    assert kb.status().index_location == chroma_url
    assert not (tmp_path / "var" / "chroma").exists(), "no local index when a server is set"
    [hit] = kb.search("does 72148 need PA", payer="quillfeather", as_of=date(2026, 3, 1), k=1)
    assert (hit.chunk.doc_key, hit.ranks["vector"] > 0) == ("qf-imaging@2026", True)
    (kb_folder / "payers/lf-sleep.md").unlink()
    assert kb.load().removed == ["lf-sleep@1"]
    ids = kb.indexed_chunk_ids()
    assert ids["catalog"] == ids["vector"] == ids["bm25"]


def test_an_unreachable_server_is_reported_as_upstream_unavailable(
    tmp_path: Path, kb_folder: Path, make_kb: KbFactory
) -> None:
    kb = make_kb(tmp_path / "var", kb_folder, vector_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(UpstreamUnavailable):
        kb.load()
    assert kb.status().versions == 0
