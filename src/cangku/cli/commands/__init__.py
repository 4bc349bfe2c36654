"""Command groups: every module here that defines ``app`` (a Typer) and ``NAME`` becomes
``cangku NAME ...``; a module that defines ``register(app)`` adds top-level commands. Each
name is also listed in ``cangku.cli.manifest`` (``cangku --help`` reads it without importing
these modules; a test checks the two agree)."""
