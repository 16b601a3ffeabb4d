"""Every read that depends on who asks, one module per job:

- access.py: which survivor, check-in and entry a person may read (whom she
  may see is tracker/scope.py's), her clinics' survivors and pending
  invitations;
- history.py: her check-ins, symptom timeline, weights and charts' data;
- flags.py: her flags as her own pages show them;
- export.py: her whole record as the export file's rows;
- rules.py: the clinic admin's rule pages, preview jobs and sentence test;
- accounts.py: the clinic admin's accounts page.

The rule cache and the rules engine's inputs (ORM -> engine, no permission
check) live in tracker/evaluation/inputs.py, not here.
"""
