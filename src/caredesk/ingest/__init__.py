"""Document ingestion: read pages (text layer or OCR), classify, extract fields with evidence."""
