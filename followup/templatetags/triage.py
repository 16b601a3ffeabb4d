"""The queue's rows and rule options, built in Python.

Every nurse's queue reloads every 30 s. Rendered by the template engine the
25 rows of nine values cost the page more CPU than this, and
format_html_join (whose lazy-string check wraps every escape) more still;
the rule filter's options (26 and more) likewise (figures in
bench/README.md, issue 5).
Free text (names, the summary, the claimer) goes through html.escape (what
django.utils.html.escape calls); the tier badges are made once from the tier
names, escaped too; ages, deadlines and "confirmed contact" times are made
of numbers by followup.triage.queue, links of the flag's id. The markup is
ours, in this one place."""

from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from tracker.models import Tier

register = template.Library()

# A row: <tr> [tier badge] [name, "she confirmed contact"] [summary, her
# other open flags] [age] [deadline] [call back] [claimed by]. Her other open
# flags sit inside her row, highest tier first, each with its tier in words
# and its own deadline. f-strings: str.format with a dozen names cost twice
# as much for 25 rows of three flags.
_OTHERS_OPEN = '<ul class="queue-others list-unstyled small mb-0 mt-1" aria-label="Her other open flags">'
# In English whatever request first loads this module (the template engine
# loads every tag library at once, maybe on a Spanish survivor's page):
# the tier names are translated for her pages, and the queue is staff's.
with translation.override("en"):
    _BADGE = {
        tier: f'<span class="badge tier-badge tier-{escape(tier)}">{escape(str(label))}</span>'
        for tier, label in Tier.choices
    }
_CALLBACK = '<span class="badge text-bg-warning">Call back wanted</span>'
_WARNING = ' class="table-warning"'
_EMPTY = '<tr><td colspan="7">No open flags. Well done.</td></tr>'


@register.simple_tag
def queue_rows(rows):
    """One row a survivor (selectors.QueueRow)."""
    if not rows:
        return mark_safe(_EMPTY)  # noqa: S308 (a constant)
    # One reverse() for the page; each link only differs by the flag's id.
    url = reverse("nurse_flag", args=[0])[: -len("0/")]
    lines = []
    for row in rows:
        top, *others = row.flags
        overdue = top.overdue
        items = ""
        for f in others:
            due = f"<strong>{f.due}</strong>" if f.overdue else f.due
            overdue = overdue or f.overdue
            items += (
                f'<li>{_BADGE[f.tier]} <a id="q-{f.pk}" href="{url}{f.pk}/">{escape(f.summary)}</a> '
                f'<span class="queue-due">{due}</span></li>'
            )
        contacted = f'<br><span class="small queue-contacted">She confirmed contact {row.contacted}</span>'
        lines.append(
            f"<tr{_WARNING if overdue else ''}><td>{_BADGE[top.tier]}</td>"
            f'<td><a id="q-{top.pk}" href="{url}{top.pk}/">{escape(row.survivor_name)}</a>'
            f"{contacted if row.contacted else ''}</td>"
            f"<td>{escape(top.summary)}{_OTHERS_OPEN + items + '</ul>' if items else ''}</td><td>{top.age}</td>"
            f"<td>{f'<strong>{top.due}</strong>' if top.overdue else top.due}</td>"
            f"<td>{_CALLBACK if row.callback_wanted else ''}</td><td>{escape(top.claimed_by or '—')}</td></tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308 (free text escaped; the rest is ours, see the module's note)


@register.simple_tag
def rule_options(rules, chosen: str):
    """The rule filter's options, by name, hers selected."""
    options = _rule_options(tuple(rules))
    if chosen:
        mark = f'<option value="{escape(chosen)}">'
        options = options.replace(mark, mark[:-1] + " selected>", 1)
    return mark_safe(options)  # noqa: S308 (every value is escaped)


@lru_cache(maxsize=16)
def _rule_options(rules: tuple) -> str:
    """Made once per rule list (tracker.evaluation.inputs.rule_choices keeps it until
    a rule changes)."""
    return "".join(f'<option value="{escape(rule.slug)}">{escape(rule.name)}</option>' for rule in rules)
