"""The bounded packet-assembly agent and its read-only tools."""
