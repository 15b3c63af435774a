"""Server-rendered pages (Jinja2 + HTMX) for intake staff, coordinators and compliance."""
