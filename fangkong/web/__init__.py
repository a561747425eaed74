"""Server-rendered pages (Jinja2 + HTMX + ECharts, all vendored) over the services."""
