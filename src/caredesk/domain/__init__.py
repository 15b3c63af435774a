"""Pydantic models and pure rules of prior-authorization work; no I/O."""
