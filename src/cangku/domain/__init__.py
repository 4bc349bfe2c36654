"""Pure domain: entities, value objects, rules and errors. Standard library only."""
