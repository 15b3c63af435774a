"""Page routers, one module per area; each page carries exactly one role gate."""
