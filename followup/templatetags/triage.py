"""The queue's rows and rule options, built in Python.

Every nurse's queue reloads every 30 s. Rendered by the template engine the
25 rows of nine values cost the page about 0.7 ms of CPU more than this, and
format_html_join (whose lazy-string check wraps every escape) 0.4 ms more;
the rule filter's options (26 and more) likewise (bench/README.md, issue 5).
Free text (names, the summary, the claimer) goes through html.escape (what
django.utils.html.escape calls); the tier badges are made once from the tier
names, escaped too; ages, deadlines and "confirmed contact" times are made
of numbers by followup.selectors, links of the flag's id. The markup is
ours, in this one place."""

from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from tracker.models import Tier

register = template.Library()

_ROW = (
    "<tr{overdue}><td>{badge}</td>"
    '<td><a id="q-{pk}" href="{url}{pk}/">{name}</a>{contacted}</td><td>{summary}{others}</td><td>{age}</td>'
    "<td>{due}</td><td>{callback}</td><td>{claimed_by}</td></tr>"
)
# Her other open flags, inside her row: highest tier first, each with its
# tier in words and its own deadline.
_OTHERS = '<ul class="queue-others list-unstyled small mb-0 mt-1" aria-label="Her other open flags">{items}</ul>'
_OTHER = '<li>{badge} <a id="q-{pk}" href="{url}{pk}/">{summary}</a> <span class="queue-due">{due}</span></li>'
_BADGE = {
    tier: f'<span class="badge tier-badge tier-{escape(tier)}">{escape(label)}</span>' for tier, label in Tier.choices
}
_CALLBACK = '<span class="badge text-bg-warning">Call back wanted</span>'
_CONTACTED = '<br><span class="small queue-contacted">She confirmed contact {at}</span>'
_EMPTY = '<tr><td colspan="7">No open flags. Well done.</td></tr>'


def _due(flag) -> str:
    return f"<strong>{flag.due}</strong>" if flag.overdue else flag.due


@register.simple_tag
def queue_rows(rows):
    """One row a survivor (selectors.QueueRow)."""
    if not rows:
        return mark_safe(_EMPTY)  # noqa: S308 (a constant)
    # One reverse() for the page; each link only differs by the flag's id.
    url = reverse("nurse_flag", args=[0])[: -len("0/")]
    lines = []
    for row in rows:
        top = row.flags[0]
        others = "".join(
            _OTHER.format(badge=_BADGE[f.tier], pk=f.pk, url=url, summary=escape(f.summary), due=_due(f))
            for f in row.flags[1:]
        )
        lines.append(
            _ROW.format(
                overdue=' class="table-warning"' if row.overdue else "",
                badge=_BADGE[top.tier],
                pk=top.pk,
                url=url,
                name=escape(row.survivor_name),
                contacted=_CONTACTED.format(at=row.contacted) if row.contacted else "",
                summary=escape(top.summary),
                others=_OTHERS.format(items=others) if others else "",
                age=top.age,
                due=_due(top),
                callback=_CALLBACK if row.callback_wanted else "",
                claimed_by=escape(top.claimed_by or "—"),
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
