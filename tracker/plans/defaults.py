"""The default plan template, from ASCO's breast cancer follow-up guidance
(ASCO_2013_SOURCE): the template a clinic starts from and a nurse starts a
survivor's plan from. Data only; the arithmetic is calendar.py's.

What the guidance asks, and how it is written down here:

- History and physical: every 3 to 6 months in years 1 to 3, every 6 to 12
  in years 4 and 5, then yearly. Her years count from surgery (the end of
  primary local treatment for most women; months after diagnosis when
  chemotherapy comes first), or from diagnosis when the surgery date is not
  known. "Yearly" is a window of 11 to 13 months: one month either side of
  the anniversary, so a booking can find a slot; a window of 10 to 12 would
  pull a projected yearly visit a month earlier every year (calendar.py
  projects each visit mid-window), and the same width as the mammogram's
  lets the clinic book the two on one trip.
- Mammogram: the first one year after the initial mammogram (the one that
  led to diagnosis; when its date is not known, the diagnosis date, which
  is the nearest date to it we always have) and no earlier than 6 months
  after radiation ends; its window opens on the later of the two and is two
  months wide, like the yearly ones. Then yearly, 11 to 13 months, for the
  reason above. After a mastectomy it is the other breast's; a nurse drops
  or changes the item where it does not apply.
- Routine scans (CT, PET, bone scans, breast MRI, chest X-ray, liver
  ultrasound) and blood tests, tumor markers included, are advised against
  when she is well: no items for them, and the source note tells her why.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .spec import Anchor, ItemSpec, Kind, Offset, Phase, Template

ASCO_2013_SOURCE = (
    "Khatcheressian JL et al. Breast Cancer Follow-Up and Management After Primary Treatment: "
    "ASCO Clinical Practice Guideline Update. J Clin Oncol 2013;31(7):961-965."
)

VISIT = ItemSpec(
    key="visit",
    kind=Kind.VISIT,
    label=_("Check-up with your care team"),
    counts_from=(Anchor.SURGERY, Anchor.DIAGNOSIS),
    phases=(
        Phase(from_year=1, to_year=3, every_min_months=3, every_max_months=6),
        Phase(from_year=4, to_year=5, every_min_months=6, every_max_months=12),
        Phase(from_year=6, to_year=None, every_min_months=11, every_max_months=13),
    ),
)

MAMMOGRAM = ItemSpec(
    key="mammogram",
    kind=Kind.MAMMOGRAM,
    label=_("Mammogram"),
    # One phase: the years only matter for choosing a phase.
    counts_from=(Anchor.DIAGNOSIS,),
    phases=(Phase(from_year=1, to_year=None, every_min_months=11, every_max_months=13),),
    not_before=(
        Offset(months=12, after=(Anchor.FIRST_MAMMOGRAM, Anchor.DIAGNOSIS)),
        # No radiation, no floor: calendar.py skips offsets she has no date for.
        Offset(months=6, after=(Anchor.RADIATION_END,)),
    ),
    first_window_months=2,
)

ASCO_2013 = Template(
    key="asco-2013-breast",
    name=_("Breast cancer follow-up (ASCO guidance, 2013)"),
    source=ASCO_2013_SOURCE,
    source_note=_(
        "This plan follows the American Society of Clinical Oncology's guidance for follow-up after "
        "breast cancer treatment: regular check-ups with your care team and a yearly mammogram. "
        "While you are well, the guidance advises against routine scans (such as CT, PET or bone "
        "scans) and routine blood tests, tumor markers included: for women without symptoms they "
        "have not been shown to help them live longer, and they can bring false alarms and more "
        "tests. Tell your care team about any new or lasting symptom between visits."
    ),
    items=(VISIT, MAMMOGRAM),
)

DEFAULT_TEMPLATE = ASCO_2013
