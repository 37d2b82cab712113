"""The guest's manage page, ``/r/<token>/``: the reservation, a Confirm button and a Cancel
step that asks first (POST, CSRF-protected), through the same selector and services as the
API, under the same miss limit (reservations.manage_link). The pages take the guest pages'
look and language (the ``web/base.html`` template)."""

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.clock import now as clock_now
from core.errors import ApplicationError, NotFound, Throttled
from core.throttling import client_address
from reservations import callers, services
from reservations.actors import Actor
from reservations.ics import reservation_ics
from reservations.models import Reservation
from reservations.services.transitions import effective_status, guest_actions


def _reservation(request, token: str) -> tuple[Reservation, Actor]:
    """The reservation and its guest's actor (reservations.callers)."""
    try:
        return callers.manage_link_reservation(token=token, address=client_address(request))
    except NotFound as exc:
        raise Http404("Reservation not found.") from exc


def _throttled_page(view):
    """An address over its miss limit gets a page that says so (429, Retry-After)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Throttled as exc:
            response = render(
                request,
                "reservations/manage_throttled.html",
                {"minutes": exc.retry_after_minutes},
                status=429,
            )
            for name, value in exc.headers().items():
                response[name] = value
            return response

    return wrapped


@require_http_methods(["GET", "HEAD"])
@_throttled_page
def manage_page(request, token: str):
    reservation, actor = _reservation(request, token)
    now = clock_now()
    status = effective_status(reservation, now)
    actions = guest_actions(reservation, actor, now)
    tz = reservation.restaurant.tz
    start = reservation.start_at.astimezone(tz)
    # Formatted here: template filters would show aware datetimes in UTC, not the restaurant's.
    context = {
        "reservation": reservation,
        "restaurant": reservation.restaurant,
        "status": status,
        "status_text": _status_text(status),
        # Translators: a date format (Django's format characters): weekday, day, month, year.
        "local_date": formats.date_format(start.date(), _("l j F Y")),
        "local_time": start.strftime("%H:%M"),
        "local_expires": (
            reservation.expires_at.astimezone(tz).strftime("%H:%M")
            if reservation.expires_at
            else ""
        ),
        "can_confirm": "confirm" in actions,
        "can_cancel": "cancel" in actions,
        "can_add_to_calendar": status in CALENDAR_STATUSES,
    }
    return render(request, "reservations/manage.html", context)


# A reservation worth adding to a calendar: it stands (a hold may still lapse).
CALENDAR_STATUSES = (Reservation.Status.CONFIRMED, Reservation.Status.SEATED)


@require_http_methods(["GET", "HEAD"])
@_throttled_page
def manage_calendar(request, token: str):
    """The confirmed reservation as a calendar file (.ics), in the page's language; 404 while
    it is only a hold or once it no longer stands."""
    reservation, _actor = _reservation(request, token)
    if effective_status(reservation, clock_now()) not in CALENDAR_STATUSES:
        raise Http404("No calendar file for this reservation.")
    response = HttpResponse(reservation_ics(reservation), content_type="text/calendar")
    response["Content-Disposition"] = 'attachment; filename="reservation.ics"'
    return response


def _status_text(status: str) -> str:
    return {
        Reservation.Status.PENDING: _("Waiting for your confirmation"),
        Reservation.Status.CONFIRMED: _("Confirmed"),
        Reservation.Status.SEATED: _("Seated"),
        Reservation.Status.COMPLETED: _("Completed"),
        Reservation.Status.CANCELLED: _("Cancelled"),
        Reservation.Status.NO_SHOW: _("No-show"),
        Reservation.Status.EXPIRED: _("Expired"),
    }.get(status, status)


def _refusal(exc: ApplicationError) -> str:
    """The page's own words for a refusal of the services (which speak English to every
    caller), in the guest's language."""
    return {
        "reservation_expired": _(
            "This hold lapsed before it was confirmed, and the table was released. You are "
            "welcome to book again."
        ),
        "invalid_transition": _("This reservation can no longer be changed here."),
        "permission_denied": _(
            "The reservation has started: only the restaurant can change it now."
        ),
        "validation_error": _("Your reason cannot contain that character; please retype it."),
    }.get(exc.code, _("That did not work. Please reload the page and try again."))


def _act(request, token: str, action):
    reservation, actor = _reservation(request, token)
    try:
        action(reservation, actor)
    except ApplicationError as exc:
        messages.error(request, _refusal(exc))
    return redirect("reservation-manage-page", token=token)


@require_POST
@_throttled_page
def manage_confirm(request, token: str):
    def confirm(reservation, actor):
        services.reservation_confirm(reservation=reservation, actor=actor)
        messages.success(request, _("Your reservation is confirmed. See you soon!"))

    return _act(request, token, confirm)


@require_http_methods(["GET", "HEAD", "POST"])
@_throttled_page
def manage_cancel(request, token: str):
    """GET asks first (the reservation and a Cancel button with an optional reason); POST
    cancels."""
    if request.method != "POST":
        reservation, actor = _reservation(request, token)
        if "cancel" not in guest_actions(reservation, actor, clock_now()):
            return redirect("reservation-manage-page", token=token)
        start = reservation.start_at.astimezone(reservation.restaurant.tz)
        context = {
            "reservation": reservation,
            "restaurant": reservation.restaurant,
            # Translators: a date format (Django's format characters): weekday, day, month, year.
            "local_date": formats.date_format(start.date(), _("l j F Y")),
            "local_time": start.strftime("%H:%M"),
        }
        return render(request, "reservations/manage_cancel.html", context)

    def cancel(reservation, actor):
        services.reservation_cancel(
            reservation=reservation,
            actor=actor,
            reason=request.POST.get("reason", "")[:300],
        )
        messages.success(request, _("Your reservation is cancelled."))

    return _act(request, token, cancel)
