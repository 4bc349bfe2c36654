"""The ``cangku`` command line (Typer). Every command takes ``--json``."""
