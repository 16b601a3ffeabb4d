"""Links to another page of a list, keeping the list's filters."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """ "?tier=urgent&page=3": this request's query with its page replaced."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"
