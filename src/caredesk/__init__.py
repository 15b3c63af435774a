"""caredesk: prior-authorization document intelligence, copilot and packet agent."""

__version__ = "0.1.0"
