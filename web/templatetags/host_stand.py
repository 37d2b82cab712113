"""Template helpers of the host stand: the statuses', sources' and actions' words."""

from django import template
from django.utils.translation import gettext_lazy as _

from web.host.refusals import SOURCE_LABELS, status_label

register = template.Library()

ACTION_LABELS = {
    "confirm": _("Confirm"),
    "seat": _("Seat"),
    "complete": _("Complete"),
    "no_show": _("No-show"),
    "cancel": _("Cancel"),
}


@register.filter
def status_text(status: str) -> str:
    return status_label(status)


@register.filter
def source_text(source: str) -> str:
    return str(SOURCE_LABELS.get(source, source))


@register.filter
def action_text(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.filter
def lookup(mapping, key):
    """``mapping[key]``, or "" (a refusal per reservation, an action's address)."""
    return mapping.get(key, "") if mapping else ""
