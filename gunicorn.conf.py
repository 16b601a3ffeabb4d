"""gunicorn's settings for every start of it in this project: gunicorn reads
./gunicorn.conf.py from the directory it starts in (the Procfile's web
process and bench/run.py both start it here); the Procfile also names it.

The access log goes through config/access_log.py: invite and password-reset
tokens in paths are replaced and query strings dropped (issue 13)."""

logger_class = "config.access_log.RedactingGunicornLogger"
