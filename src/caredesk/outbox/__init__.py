"""Outbound: approved drafts leave through `send` only; packet exports as PDF and FHIR PAS."""
