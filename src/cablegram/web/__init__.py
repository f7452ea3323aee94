"""The web UI: server-rendered pages (Jinja2, autoescaped), static CSS and a little JS.

Search and reading work without JavaScript; charts are SVG drawn on the server.
"""
