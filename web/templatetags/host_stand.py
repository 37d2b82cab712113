"""Template helpers of the host stand: the statuses' and sources' words (the model's labels)."""

from django import template

from reservations.models import Reservation
from web.host.refusals import status_label

register = template.Library()


@register.filter
def status_text(status: str) -> str:
    return status_label(status)


@register.filter
def source_text(source: str) -> str:
    try:
        return str(Reservation.Source(source).label)
    except ValueError:
        return source
