"""Command groups: every module here that defines ``app`` (a Typer) and ``NAME`` becomes
``cangku NAME ...``; a module that defines ``register(app)`` adds top-level commands."""
