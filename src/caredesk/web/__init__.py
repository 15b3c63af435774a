"""Server-rendered pages (Jinja2 + HTMX) for intake staff, coordinators and compliance.

Adding a page:

- a route in `web/routes/<area>.py` with exactly one gate, `dependencies=[allow(ROLES)]`
  (start-up refuses an ungated page, as it does for the API); it returns
  `render(request, "<area>/<page>.html", {...})`;
- the template extends `base.html` and fills `title` and `content` (`head` and `scripts` for
  page assets, served from `web/static/`);
- a `NavEntry` in `web/rendering.NAV` with the same roles as the gate;
- a new router goes into `web/app.PAGE_ROUTERS`.

Forms that post carry `<input type="hidden" name="{{ csrf_field }}" value="{{ csrf_token }}">`;
HTMX requests send the token in the `X-CSRF-Token` header by themselves (set on `<body>`), and
page scripts read it from `<meta name="csrf-token">`.
"""
