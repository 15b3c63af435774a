"""Append-only, hash-chained audit log: record, verify, export."""
