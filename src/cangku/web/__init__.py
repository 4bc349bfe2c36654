"""Server-rendered web pages (Jinja2, Simplified Chinese and English), on the same services and
queries as the API and the CLI."""
