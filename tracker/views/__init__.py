"""tracker's views, one module by who uses them: survivor (her own pages),
record (her health record: she and a nurse read it), staff (the staff's home
page), rules (clinic admins' rules pages and rule previews), accounts (the
clinic admin's accounts page), invite (accepting an invitation), sessions
(her sessions and password, for everyone signed in) and sso (single sign-on).
Views validate, call one service or selector, and render. The URLconfs
import the modules directly; nothing is re-exported here. The second factor's
views live in tracker/mfa/, the security events page's in tracker/security/."""
