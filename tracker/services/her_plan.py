"""Her own writes on her follow-up plan (issue 15): the questions she wants
to ask at a visit ("bring to your visit"). Every other write on a plan is
her care team's (tracker/services/plans.py)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import PlanChange, PlanItem, User
from ..models.plans import PLAN_NOTE_MAX_LENGTH

# Items she can still prepare for: open ones, and missed ones (she calls
# to book, and the visit comes).
QUESTION_STATES = (PlanItem.State.DUE, PlanItem.State.BOOKED, PlanItem.State.MISSED)


def plan_item_questions_save(*, survivor: User, item: PlanItem, text: str) -> PlanItem:
    """Keep her questions for a visit, in her words (spaces trimmed at the
    ends only).

    1. Hers only: an item of someone else's plan is refused (the view found
       it through plan_item_get_for_owner; this guards any other caller).
    2. Bounded (PLAN_NOTE_MAX_LENGTH), and only for a visit still to come.
    3. Unchanged text writes nothing; a change is saved with a PlanChange
       ("note", by her) so the plan's history shows who wrote what when.
    """
    if not survivor.is_survivor or item.plan.survivor_id != survivor.pk:
        raise PermissionDenied("Not her plan item.")
    text = text.strip()
    if len(text) > PLAN_NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "her_questions": _("Please keep your questions to %(limit)s characters (you wrote %(count)s).")
                % {"limit": PLAN_NOTE_MAX_LENGTH, "count": len(text)}
            }
        )
    with transaction.atomic():
        locked = PlanItem.objects.select_for_update().get(pk=item.pk)
        if locked.state not in QUESTION_STATES:
            raise ValidationError(_("This visit is no longer coming up, so its questions can't be changed."))
        if locked.her_questions == text:
            return locked
        before = locked.her_questions
        locked.her_questions = text
        locked.updated_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["her_questions", "updated_at"])
        PlanChange.objects.create(
            plan_id=locked.plan_id,
            item=locked,
            by=survivor,
            action=PlanChange.Action.NOTE,
            before={"her_questions": before},
            after={"her_questions": text},
        )
    item.her_questions = locked.her_questions
    item.updated_at = locked.updated_at
    return locked
