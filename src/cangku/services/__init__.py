"""Use cases: one function per thing a user does. The only layer that commits."""
