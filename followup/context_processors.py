from django.db.models import Q

from tracker.models import Flag, PlanItem
from tracker.rules.tiers import QUEUE_RANK

from .models import Message
from .reminders.notices import notices_for

# A plan notice's kind -> the state its item must still be in to show.
PLAN_NOTICE_STATES: dict[str, str] = {
    Message.Kind.PLAN_OPEN: PlanItem.State.DUE,
    Message.Kind.PLAN_BOOKED: PlanItem.State.BOOKED,
    Message.Kind.PLAN_MISSED: PlanItem.State.MISSED,
}


def notices(request):
    """A survivor's unread in-app notices, for the home page.

    A reminder shows only while its flag is open and nobody has closed the
    loop (she said she contacted her care team, a nurse reached her) and she
    has not withdrawn what raised it: a notice sent before that is history,
    not advice. Each carries its flag's tier as it is now (a flag raised to
    emergency after the notice was sent is an emergency), emergency first."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_survivor or request.path != "/":
        return {}
    shown = notices_for(survivor=user)
    flag_ids = {notice.flag_id for notice in shown if notice.kind == "reminder" and notice.flag_id}
    live = (
        dict(
            Flag.objects.filter(
                Q(followup__isnull=True)
                | Q(followup__survivor_contacted_at__isnull=True, followup__nurse_contacted_at__isnull=True),
                pk__in=flag_ids,
                survivor=user,
                status=Flag.Status.OPEN,
                entered_in_error_at__isnull=True,
            ).values_list("pk", "tier")
        )
        if flag_ids
        else {}
    )
    # A plan notice shows while its item is still where the notice found it
    # (to book, booked, missed): not once she has been seen or it was dropped.
    plan_ids = {notice.plan_item_id for notice in shown if notice.kind in PLAN_NOTICE_STATES}
    item_states: dict[int | None, str] = (
        dict(PlanItem.objects.filter(pk__in=plan_ids, plan__survivor=user).values_list("pk", "state"))
        if plan_ids
        else {}
    )
    kept = []
    for notice in shown:
        if notice.kind in PLAN_NOTICE_STATES:
            if item_states.get(notice.plan_item_id) != PLAN_NOTICE_STATES[notice.kind]:
                continue
            notice.emergency = False
        elif notice.kind == "reminder":
            if notice.flag_id not in live:
                continue
            notice.emergency = live[notice.flag_id] == "emergency" or notice.urgent
        else:
            notice.emergency = False
        kept.append(notice)
    # Emergency first, then as they came (newest first); sorted() is stable.
    kept.sort(key=lambda n: QUEUE_RANK["emergency"] if n.emergency else QUEUE_RANK["urgent"])
    return {"notices": kept}
