"""HTTP API: FastAPI app factory, dependencies, auth gates and one router per resource."""
