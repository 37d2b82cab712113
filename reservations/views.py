"""The guest's manage page, ``/r/<token>/``: the reservation and Confirm / Cancel buttons
(POST, CSRF-protected), through the same selector and services as the API."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.clock import now as clock_now
from core.errors import ApplicationError, NotFound
from reservations import selectors, services
from reservations.actors import Actor
from reservations.models import Reservation
from reservations.services.transitions import effective_status, guest_actions


def _reservation(token: str) -> Reservation:
    try:
        return selectors.reservation_by_manage_token(token)
    except NotFound as exc:
        raise Http404("Reservation not found.") from exc


@require_http_methods(["GET", "HEAD"])
def manage_page(request, token: str):
    reservation = _reservation(token)
    now = clock_now()
    status = effective_status(reservation, now)
    actions = guest_actions(reservation, now)
    tz = reservation.restaurant.tz
    start = reservation.start_at.astimezone(tz)
    # Formatted here: template filters would show aware datetimes in UTC, not the restaurant's.
    context = {
        "reservation": reservation,
        "restaurant": reservation.restaurant,
        "status": status,
        "local_date": start.strftime("%A %d %B %Y"),
        "local_time": start.strftime("%H:%M"),
        "local_expires": (
            reservation.expires_at.astimezone(tz).strftime("%H:%M")
            if reservation.expires_at
            else ""
        ),
        "can_confirm": "confirm" in actions,
        "can_cancel": "cancel" in actions,
    }
    return render(request, "reservations/manage.html", context)


def _act(request, token: str, action):
    reservation = _reservation(token)
    try:
        action(reservation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("reservation-manage-page", token=token)


@require_POST
def manage_confirm(request, token: str):
    def confirm(reservation):
        services.reservation_confirm(reservation=reservation, actor=Actor.GUEST)
        messages.success(request, "Your reservation is confirmed. See you soon!")

    return _act(request, token, confirm)


@require_POST
def manage_cancel(request, token: str):
    def cancel(reservation):
        services.reservation_cancel(
            reservation=reservation,
            actor=Actor.GUEST,
            reason=request.POST.get("reason", "")[:300],
        )
        messages.success(request, "Your reservation is cancelled.")

    return _act(request, token, cancel)
