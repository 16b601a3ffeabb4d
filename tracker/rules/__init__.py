"""Red-flag rules: a pure engine (engine.py: which rules run on an event and
what a hit says; facts.py: what it reads; matching.py: what each test means),
the one walk over a condition tree (tree.py) and the walk that validates one
(validation.py, bounds in limits.py), the free-text concept finder (text/),
the shipped default rule set (defaults.py) and scenario replay
(scenarios.py). Nothing in this package touches the database."""
