"""Red-flag rules: a pure engine (engine.py), the free-text concept finder
(text.py, medspaCy), the shipped default rule set (defaults.py) and scenario
replay (scenarios.py). Nothing in this package touches the database."""
