from django.core.management.base import BaseCommand

from tracker.catalog import load_catalog
from tracker.models import BodySite, Symptom


class Command(BaseCommand):
    help = (
        "Create or refresh the symptom and body-site catalog, its English and Spanish (idempotent; codes never change)."
    )

    def handle(self, *args, **options):
        load_catalog(Symptom, BodySite)
        self.stdout.write(f"Catalog: {Symptom.objects.count()} symptoms, {BodySite.objects.count()} body sites.")
