"""From the ORM to the rules engine: the rule cache and one survivor's rule
inputs for a check-in (inputs.py), and work that reads stored check-ins in
bulk for the rules (rule preview, preview.py, and its background job,
preview_jobs.py)."""
