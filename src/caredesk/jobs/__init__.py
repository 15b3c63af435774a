"""Background work: durable job rows, in-process workers by default, Celery at scale."""
