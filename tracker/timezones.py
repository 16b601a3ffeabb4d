"""The time-zone picker's choices: the zones our survivors live in first, by
the names people use ("Eastern Time (New York)"), then every other zone
grouped by region, by city.

The values are exactly TIME_ZONE_CHOICES' (the model's choices), so any zone
stored before stays selectable; only the order and the words change."""

from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from .models import TIME_ZONE_CHOICES

if TYPE_CHECKING:
    from .models import User

# The United States (where the clinics are), then Mexico, Central and South
# America and the Caribbean, then Europe: where the survivors of our clinics
# have family and spend the winter. Each value must be an IANA zone.
COMMON_ZONES: list[tuple[str, StrOrPromise]] = [
    ("America/New_York", _("Eastern Time (New York)")),
    ("America/Chicago", _("Central Time (Chicago)")),
    ("America/Denver", _("Mountain Time (Denver)")),
    ("America/Phoenix", _("Mountain Time without daylight saving (Phoenix)")),
    ("America/Los_Angeles", _("Pacific Time (Los Angeles)")),
    ("America/Anchorage", _("Alaska Time (Anchorage)")),
    ("Pacific/Honolulu", _("Hawaii Time (Honolulu)")),
    ("America/Puerto_Rico", _("Atlantic Time (Puerto Rico)")),
    ("America/Mexico_City", _("Mexico City")),
    ("America/Tijuana", _("Tijuana")),
    ("America/Guatemala", _("Guatemala")),
    ("America/El_Salvador", _("San Salvador")),
    ("America/Havana", _("Havana")),
    ("America/Santo_Domingo", _("Santo Domingo")),
    ("America/Bogota", _("Bogotá")),
    ("America/Caracas", _("Caracas")),
    ("America/Lima", _("Lima")),
    ("America/Santiago", _("Santiago de Chile")),
    ("America/Argentina/Buenos_Aires", _("Buenos Aires")),
    ("America/Sao_Paulo", _("São Paulo")),
    ("Europe/London", _("London")),
    ("Europe/Dublin", _("Dublin")),
    ("Europe/Lisbon", _("Lisbon")),
    ("Europe/Madrid", _("Madrid")),
    ("Europe/Paris", _("Paris")),
    ("Europe/Berlin", _("Berlin")),
    ("Europe/Rome", _("Rome")),
]

REGIONS: dict[str, StrOrPromise] = {
    "Africa": _("Africa"),
    "America": _("The Americas"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific Ocean"),
}


def _city(zone: str) -> str:
    """ "America/Argentina/Buenos_Aires" -> "Buenos Aires (Argentina)"."""
    parts = zone.replace("_", " ").split("/")[1:]
    return parts[-1] if len(parts) == 1 else f"{parts[-1]} ({' / '.join(parts[:-1])})"


def _grouped() -> list[tuple[StrOrPromise, list[tuple[str, StrOrPromise]]]]:
    known = {value for value, _label in TIME_ZONE_CHOICES}
    common = [(value, label) for value, label in COMMON_ZONES if value in known]
    taken = {value for value, _label in common}
    by_region: dict[str, list[tuple[str, StrOrPromise]]] = {region: [] for region in REGIONS}
    # Old names kept by the tz database (US/Eastern, Etc/GMT+5...): stored
    # values must stay selectable, at the end where nobody has to scroll past.
    other: list[tuple[str, StrOrPromise]] = []
    for value in sorted(known - taken):
        region = value.split("/", 1)[0]
        if region in by_region:
            by_region[region].append((value, _city(value)))
        else:
            other.append((value, value.replace("_", " ")))
    groups: list[tuple[StrOrPromise, list[tuple[str, StrOrPromise]]]] = [(_("Most used"), common)]
    for region, label in REGIONS.items():
        zones = sorted(by_region[region], key=lambda choice: choice[1])
        if zones:
            groups.append((label, zones))
    groups.append((_("Other names"), other))
    return groups


TIME_ZONE_PICKER_CHOICES = _grouped()


def her_zone(survivor: User) -> zoneinfo.ZoneInfo:
    """Her time zone, for her calendar dates and the times she reads (her
    plan's days, its reminders' hours). UTC for a row with none (a
    hand-edited one), rather than a page that fails."""
    return zoneinfo.ZoneInfo(survivor.time_zone or "UTC")
