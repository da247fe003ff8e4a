"""The morning page: a small server-rendered web dashboard on research.db (`live dashboard`).

Pages are built from plain data (one module a page: what it reads from research.db) and Jinja2
templates; charts are SVG drawn by matplotlib on the server; no script, no CDN: it works offline
on the Pi's home network. It binds to 127.0.0.1.
"""
