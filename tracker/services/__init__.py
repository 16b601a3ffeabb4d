"""Every write in the tracker app, one concern per module: audit (the audit
trail), accounts (invitations, her profile, deactivation and password
changes), checkins (her symptoms, notes and weights), flags (the rules run on
them and the flags they raise; flags_sql holds its PostgreSQL statements),
flag_states (what a nurse's follow-up changes on a flag: closed, call back
answered; the follow-up app writes flags only through these), snoozes,
rules (a clinic admin's rule edits, the defaults, an import) and
corrections (an entry or weight entered in error, a weight asked about).
Keyword-only, typed, full_clean() first."""
