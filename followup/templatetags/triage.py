"""The queue's rows and rule options, built in Python.

Every nurse's queue reloads every 30 s. Rendered by the template engine the
25 rows of nine values cost the page about 0.7 ms of CPU more than this, and
format_html_join (whose lazy-string check wraps every escape) 0.4 ms more;
the rule filter's options (26 and more) likewise (bench/README.md, issue 5).
Free text (names, the summary, the claimer) goes through html.escape (what
django.utils.html.escape calls); the tier badges are made once from the tier
names, escaped too; ages and deadlines are made of numbers by
followup.selectors._span, links of the flag's id. The markup is ours, in this
one place."""

from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from tracker.models import Tier

register = template.Library()

_ROW = (
    "<tr{overdue}><td>{badge}</td>"
    '<td><a href="{url}">{name}</a></td><td>{summary}</td><td>{age}</td><td>{due}</td>'
    "<td>{callback}</td><td>{claimed_by}</td></tr>"
)
_BADGE = {
    tier: f'<span class="badge tier-badge tier-{escape(tier)}">{escape(label)}</span>' for tier, label in Tier.choices
}
_CALLBACK = '<span class="badge text-bg-warning">Call back wanted</span>'
_EMPTY = '<tr><td colspan="7">No open flags. Well done.</td></tr>'


@register.simple_tag
def queue_rows(rows):
    if not rows:
        return mark_safe(_EMPTY)  # noqa: S308 (a constant)
    # One reverse() for the page; each row's link only differs by its id.
    detail = reverse("nurse_flag", args=[0])[: -len("0/")]
    lines = []
    for row in rows:
        lines.append(
            _ROW.format(
                overdue=' class="table-warning"' if row.overdue else "",
                badge=_BADGE[row.tier],
                url=f"{detail}{row.pk}/",
                name=escape(row.survivor_name),
                summary=escape(row.summary),
                age=row.age,
                due=f"<strong>{row.due}</strong>" if row.overdue else row.due,
                callback=_CALLBACK if row.callback_wanted else "",
                claimed_by=escape(row.claimed_by or "—"),
            )
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
    """Made once per rule list (tracker.selectors.rule_choices keeps it until
    a rule changes)."""
    return "".join(f'<option value="{escape(rule.slug)}">{escape(rule.name)}</option>' for rule in rules)
