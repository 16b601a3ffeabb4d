"""The queue's rows and rule options, built in Python.

Every nurse's queue reloads every 30 s. Rendered by the template engine the
25 rows of nine values cost the page about 0.7 ms of CPU more than this, and
format_html_join (whose lazy-string check wraps every escape) 0.4 ms more;
the rule filter's options (26 and more) likewise (bench/README.md, issue 5).
Every value goes through html.escape (what django.utils.html.escape calls);
the markup is ours, in this one place."""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

register = template.Library()

_ROW = (
    '<tr{overdue}><td><span class="badge tier-badge tier-{tier}">{tier_label}</span></td>'
    '<td><a href="{url}">{name}</a></td><td>{summary}</td><td>{age}</td><td>{due}</td>'
    "<td>{callback}</td><td>{claimed_by}</td></tr>"
)
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
        due = escape(row.due)
        lines.append(
            _ROW.format(
                overdue=' class="table-warning"' if row.overdue else "",
                tier=escape(row.tier),
                tier_label=escape(row.tier_label),
                url=escape(f"{detail}{row.pk}/"),
                name=escape(row.survivor_name),
                summary=escape(row.summary),
                age=escape(row.age),
                due=f"<strong>{due}</strong>" if row.overdue else due,
                callback=_CALLBACK if row.callback_wanted else "",
                claimed_by=escape(row.claimed_by or "—"),
            )
        )
    return mark_safe("\n".join(lines))  # noqa: S308 (every value above is escaped; the rest is constant markup)


@register.simple_tag
def rule_options(rules, chosen: str):
    """The rule filter's options, by name, hers selected."""
    options = ((escape(rule.slug), " selected" if rule.slug == chosen else "", escape(rule.name)) for rule in rules)
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(f'<option value="{slug}"{selected}>{name}</option>' for slug, selected, name in options)
    )
