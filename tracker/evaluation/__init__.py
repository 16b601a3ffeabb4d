"""From the ORM to the rules engine: work that reads stored check-ins in
bulk for the rules (rule preview and its background job)."""
