"""A worker killed in the middle of a fax resumes after restart: every page exactly once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.ingest.intake import accept_upload
from caredesk.settings import Settings
from caredesk.storage.models import Document, DocumentPage, Job
from caredesk.synthetic import build_file

WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from caredesk.settings import Settings
    from caredesk.api.resources import Resources
    settings = Settings(data_dir=Path(sys.argv[1]), ocr_workers=1, job_workers=1,
                        kb_autoload=False, job_lease_s=60, _env_file=None)
    resources = Resources.build(settings)
    resources.start_workers()
    time.sleep(600)
    """
)


def fax_of_pages(count: int) -> bytes:
    """A multi-page G4 fax TIFF made of synthetic fax pages."""
    frames: list[Image.Image] = []
    index = 0
    while len(frames) < count:
        sample = build_file(index, seed=11, fax_share=1.0, formats=("tiff",))
        with Image.open(io.BytesIO(sample.content)) as tiff:
            for n in range(getattr(tiff, "n_frames", 1)):
                tiff.seek(n)
                frames.append(tiff.copy().convert("1"))
        index += 1
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=frames[1:count],
        compression="group4",
        dpi=(204, 196),
    )
    return buffer.getvalue()


def _pages(resources: Resources, document_id: str) -> list[int]:
    with resources.read_db() as session:
        return list(
            session.execute(
                select(DocumentPage.number)
                .where(DocumentPage.document_id == document_id)
                .order_by(DocumentPage.number)
            ).scalars()
        )


@pytest.mark.slow
def test_killed_worker_resumes_without_duplicate_pages(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        ocr_workers=1,
        job_workers=1,
        kb_autoload=False,
        job_lease_s=60,
        _env_file=None,
    )  # type: ignore[call-arg]
    resources = Resources.build(settings)
    content = fax_of_pages(4)
    accepted = accept_upload(
        resources.db,
        resources.blobs,
        resources.queue,
        filename="fax.tif",
        chunks=[content],
        max_bytes=10_000_000,
        actor=SYSTEM,
    )
    document_id = accepted.document.id
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(settings.data_dir)])
    try:
        deadline = time.monotonic() + 240
        while len(_pages(resources, document_id)) < 2:
            assert time.monotonic() < deadline, "the worker read no pages"
            assert worker.poll() is None
            time.sleep(0.2)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    read_before_crash = _pages(resources, document_id)
    assert 2 <= len(read_before_crash) < 4
    resources.start_workers()  # the restart
    try:
        deadline = time.monotonic() + 300
        while True:
            with resources.read_db() as session:
                status = session.get(Document, document_id).status  # type: ignore[union-attr]
            if status in ("ready", "needs_attention", "failed"):
                break
            assert time.monotonic() < deadline, f"still {status}"
            time.sleep(0.5)
        assert status != "failed"
        assert _pages(resources, document_id) == [1, 2, 3, 4]
        with resources.read_db() as session:
            assert session.execute(select(func.count()).select_from(Document)).scalar_one() == 1
            job = session.execute(
                select(Job).where(Job.key == f"ingest:{document_id}")
            ).scalar_one()
        assert (job.status, job.attempts) == ("done", 2)
    finally:
        resources.close()
