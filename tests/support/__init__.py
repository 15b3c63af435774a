"""Test doubles for remote services caredesk does not run (a hosted LLM API)."""
