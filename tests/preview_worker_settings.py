"""Settings for the Celery worker of the preview integration and browser
tests: the test settings, with one survivor a chunk (see preview_helpers)."""

from config.settings.test import *  # noqa: F403

FOLLOWUP_PREVIEW_CHUNK_SURVIVORS = 1
