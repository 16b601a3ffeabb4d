"""The queue's rows, built with format_html_join (escapes every value).

Every nurse's queue reloads every 30 s; Django's template engine took
1 ms of the page's CPU for 25 rows of nine values each, format_html_join a
quarter of that (bench/README.md, issue 5). The markup is here, in one place."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

register = template.Library()

_ROW = (
    '<tr{}><td><span class="badge tier-badge tier-{}">{}</span></td>'
    '<td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>'
)
_CALLBACK = format_html('<span class="badge text-bg-warning">{}</span>', "Call back wanted")


@register.simple_tag
def queue_rows(rows):
    if not rows:
        return format_html('<tr><td colspan="7">{}</td></tr>', "No open flags. Well done.")
    # One reverse() for the page; each row's link only differs by its id.
    detail = reverse("nurse_flag", args=[0])[: -len("0/")]
    return format_html_join(
        "\n",
        _ROW,
        (
            (
                format_html(' class="{}"', "table-warning") if row.overdue else "",
                row.tier,
                row.tier_label,
                f"{detail}{row.pk}/",
                row.survivor_name,
                row.summary,
                row.age,
                format_html("<strong>{}</strong>", row.due) if row.overdue else row.due,
                _CALLBACK if row.callback_wanted else "",
                row.claimed_by or "—",
            )
            for row in rows
        ),
    )
