import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# Build the medspaCy pipeline once per worker process, before the first request.
from tracker.rules.text import warm_up  # noqa: E402

warm_up()
