"""One reservation at the host stand: its page, its actions (the state machine's transitions)
and the two changes through the booking core (a move; notes and allergies)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.clock import now as clock_now
from core.errors import ApplicationError
from reservations import services
from reservations.host_actions import ACTION_BY_SLUG, host_actions
from reservations.host_day import (
    host_reservation,
    host_reservation_table_numbers,
    host_seatings,
    host_service_date,
)
from reservations.models import Reservation
from web.host.access import HostStand, staff_page
from web.host.day import day_url, render_day
from web.host.forms import CancelForm, MoveForm, RemarksForm, search_text, table_ids_of
from web.host.refusals import field_refusal, refusal, refusal_on_form


def _reservation(stand: HostStand, reservation_id) -> Reservation:
    reservation = host_reservation(restaurant_id=stand.restaurant.pk, reservation_id=reservation_id)
    if reservation is None:
        raise Http404("No such reservation.")
    return reservation


def _its_day(stand: HostStand, reservation: Reservation) -> str:
    """Its row on the page of its service day (after midnight: the evening's)."""
    day = host_service_date(stand.restaurant, reservation.start_at)
    return day_url(stand, day, anchor=f"r-{reservation.pk}")


def _move_form(stand: HostStand, *args, **kwargs) -> MoveForm:
    return MoveForm(
        *args,
        seatings=host_seatings(stand.restaurant.pk),
        notice_minutes=stand.restaurant.min_notice_minutes,
        prefix="move",
        **kwargs,
    )


def _reservation_context(stand: HostStand, reservation: Reservation, **extra) -> dict:
    now = clock_now()
    initial = {
        "date": reservation.reservation_date,
        "time": reservation.reservation_time.strftime("%H:%M"),
        "party_size": reservation.party_size,
        "tables": "",
    }
    return {
        "stand": stand,
        "restaurant": stand.restaurant,
        "reservation": reservation,
        "status": services.transitions.effective_status(reservation, now),
        "actions": host_actions(reservation, now),
        "table_numbers": host_reservation_table_numbers(reservation),
        "move": _move_form(stand, initial=initial),
        "remarks": RemarksForm(
            initial={"notes": reservation.notes, "allergies": reservation.allergies},
            prefix="remarks",
        ),
        "error": "",
        "move_error": "",
        "remarks_error": "",
        "back_url": _its_day(stand, reservation),
        **extra,
    }


@require_GET
@staff_page
def reservation_page(request, stand: HostStand, reservation_id):
    reservation = _reservation(stand, reservation_id)
    return render(request, "host/reservation.html", _reservation_context(stand, reservation))


@require_POST
@staff_page
def act(request, stand: HostStand, reservation_id, action: str):
    """Confirm, seat, complete, mark a no-show or cancel
    (reservations.host_actions.HOST_ACTIONS), through the state machine's services with the
    host stand's actor: the same rules and e-mails as the API."""
    reservation = _reservation(stand, reservation_id)
    asked = ACTION_BY_SLUG.get(action)
    if asked is None:
        raise Http404("No such action.")
    from_detail = request.POST.get("back") == "reservation"
    # The search only says which list to come back to: one that cannot be searched is dropped.
    q = search_text(request.POST.get("q")) or ""
    kwargs, error, status = {}, "", 200
    if asked.name == "cancel":
        form = CancelForm(request.POST)
        if form.is_valid():
            kwargs["reason"] = form.cleaned_data["reason"]
        else:
            error, status = field_refusal("reason"), 400
    if not error:
        try:
            asked.service(reservation=reservation, actor=stand.actor, **kwargs)
        except ApplicationError as exc:
            error, status = refusal(exc), exc.status
    if from_detail:
        if error:
            reservation.refresh_from_db()
            context = _reservation_context(stand, reservation, error=error)
            return render(request, "host/reservation.html", context, status=status)
        page = reverse(
            "host:reservation",
            kwargs={"slug": stand.restaurant.slug, "reservation_id": reservation.pk},
        )
        return redirect(page)
    day = host_service_date(stand.restaurant, reservation.start_at)
    if error:
        return render_day(
            request, stand, day, q, status=status, refused=reservation.pk, refusal=error
        )
    if request.htmx:
        return render_day(request, stand, day, q)
    return redirect(day_url(stand, day, q, anchor=f"r-{reservation.pk}"))


def _change(stand: HostStand, reservation: Reservation, data: dict, form, **options):
    """Run the booking core's change; its refusal goes next to the field it names (or on the
    form), in the page's words. Returns the form-wide refusal ("" for none) and the error's
    status (None when it went through)."""
    try:
        services.reservation_change(
            reservation=reservation, actor=stand.actor, data=data, **options
        )
    except ApplicationError as exc:
        return refusal_on_form(form, exc), exc.status
    return "", None


@require_POST
@staff_page
def move(request, stand: HostStand, reservation_id):
    """A new date, time, party size or tables, through ``reservation_change``; inside the
    restaurant's notice only when the host ticks it."""
    reservation = _reservation(stand, reservation_id)
    form = _move_form(stand, request.POST)
    error, status = "", 400
    if form.is_valid():
        data = {
            "reservation_date": form.cleaned_data["date"],
            "reservation_time": form.cleaned_data["time"],
            "party_size": form.cleaned_data["party_size"],
        }
        tables = table_ids_of(form.cleaned_data["tables"])
        if tables is not None:
            data["table_ids"] = tables
        error, status = _change(
            stand,
            reservation,
            data,
            form,
            override_notice=form.cleaned_data["override_notice"],
        )
        if status is None:
            reservation.refresh_from_db()
            return redirect(_its_day(stand, reservation))
    context = _reservation_context(stand, reservation, move=form, move_error=error)
    return render(request, "host/reservation.html", context, status=status)


@require_POST
@staff_page
def remarks(request, stand: HostStand, reservation_id):
    """The party's notes and allergies, through ``reservation_change``."""
    reservation = _reservation(stand, reservation_id)
    form = RemarksForm(request.POST, prefix="remarks")
    error, status = "", 400
    if form.is_valid():
        error, status = _change(stand, reservation, dict(form.cleaned_data), form)
        if status is None:
            return redirect(_its_day(stand, reservation))
    context = _reservation_context(stand, reservation, remarks=form, remarks_error=error)
    return render(request, "host/reservation.html", context, status=status)
