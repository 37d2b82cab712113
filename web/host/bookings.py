"""New bookings at the host stand: a phone booking for a guest found as the host types (or a
new profile), and a walk-in seated now, both through the booking core's callers."""

from django.core.validators import ProhibitNullCharactersValidator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.clock import now as clock_now
from core.errors import ApplicationError
from customers.selectors import customer_search, customers_bookable_at
from reservations.callers import reservation_create, reservation_walk_in
from reservations.host_day import host_seatings, host_service_date, host_today
from reservations.models import Reservation
from web.host.access import HostStand, staff_page
from web.host.day import day_url, render_day
from web.host.forms import PhoneBookingForm, WalkInForm, search_text, table_ids_of
from web.host.refusals import refusal_on_form

# How many guests the phone booking's search shows.
MATCHES = 10


def _at_its_row(stand: HostStand, reservation: Reservation):
    """To the new reservation's row on the page of its service day."""
    day = host_service_date(stand.restaurant, reservation.start_at)
    return redirect(day_url(stand, day, anchor=f"r-{reservation.pk}"))


def _matches(request, stand: HostStand, q: str):
    """The guests this host may book for at this restaurant whose name, e-mail or phone match
    ``q`` (customers.selectors: never another restaurant's guest)."""
    if len(q.strip()) < 2:
        return []
    found = customer_search(customers_bookable_at(request.user, stand.restaurant.pk), q=q)
    return list(found.order_by("last_name", "first_name", "pk")[:MATCHES])


@require_GET
@staff_page
def guests(request, stand: HostStand):
    """The phone booking's search as the host types (htmx): the matching guests to choose."""
    q = search_text(request.GET.get("guest_q"))
    context = {"matches": _matches(request, stand, q or ""), "guest_q": q or "", "chosen": None}
    return render(request, "host/guest_matches.html", context, status=200 if q is not None else 400)


def _guest_of(data: dict) -> dict:
    """The guest as the booking core takes it: one found, or a new profile's details."""
    if data["customer_id"] is not None:
        return {"customer_id": data["customer_id"]}
    return {
        "customer": {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "phone": data["phone"],
        }
    }


@require_http_methods(["GET", "POST"])
@staff_page
def phone_booking(request, stand: HostStand):
    """A booking taken by phone for a guest found by name, e-mail or phone (or a new
    profile), through the booking core (reservations.callers.reservation_create, source
    ``phone``); inside the restaurant's notice only when the host ticks it. Without
    JavaScript, "Find" reloads the form with the matches."""
    options = {
        "seatings": host_seatings(stand.restaurant.pk),
        "notice_minutes": stand.restaurant.min_notice_minutes,
    }
    error, status = "", 200
    if request.method == "GET":
        bound = "guest_q" in request.GET
        today = clock_now().astimezone(stand.restaurant.tz).date()
        form = PhoneBookingForm(
            request.GET if bound else None,
            initial={"date": request.GET.get("date") or today, "party_size": 2},
            **options,
        )
        q = search_text(request.GET.get("guest_q"))
        if bound:
            form.errors.clear()  # a search is no submit: no refusals yet
            if q is None:
                form.add_error("guest_q", ProhibitNullCharactersValidator.message)
                status = 400
    else:
        form = PhoneBookingForm(request.POST, **options)
        q = search_text(request.POST.get("guest_q"))  # a NUL one makes the form invalid
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                reservation = reservation_create(
                    user=request.user,
                    restaurant_id=stand.restaurant.pk,
                    reservation_date=data["date"],
                    reservation_time=data["time"],
                    party_size=data["party_size"],
                    table_ids=table_ids_of(data["tables"]),
                    notes=data["notes"],
                    allergies=data["allergies"],
                    source=Reservation.Source.PHONE,
                    override_notice=data["override_notice"],
                    metrics_channel="host",
                    **_guest_of(data),
                )
            except ApplicationError as exc:
                error, status = refusal_on_form(form, exc), exc.status
            else:
                return _at_its_row(stand, reservation)
    chosen = form.data.get("customer_id") if form.is_bound else None
    context = {
        "stand": stand,
        "restaurant": stand.restaurant,
        "form": form,
        "error": error,
        "matches": _matches(request, stand, q or ""),
        "guest_q": q or "",
        "chosen": str(chosen or ""),
        "new_guest_fields": ("first_name", "last_name", "email", "phone"),
        "booking_fields": ("date", "time", "party_size", "tables", "notes", "allergies"),
        "day_url": day_url(stand),
    }
    return render(request, "host/phone_booking.html", context, status=status)


@require_POST
@staff_page
def walk_in(request, stand: HostStand):
    """A party at the door, seated now at a free seating
    (reservations.callers.reservation_walk_in), or the refusal's reason on today's page."""
    form = WalkInForm(request.POST, prefix="walk_in")
    if form.is_valid():
        data = form.cleaned_data
        try:
            reservation = reservation_walk_in(
                user=request.user,
                restaurant_id=stand.restaurant.pk,
                metrics_channel="host",
                party_size=data["party_size"],
                guest_name=data["guest_name"],
                phone=data["phone"],
            )
        except ApplicationError as exc:
            error, status = refusal_on_form(form, exc), exc.status
        else:
            return _at_its_row(stand, reservation)
    else:
        error, status = "", 400
    today = host_today(stand.restaurant, clock_now())
    return render_day(request, stand, today, "", status=status, walk_in=form, walk_in_error=error)
