"""The guest pages: thin views over the restaurants' and reservations' selectors and services."""

from datetime import date, datetime, time

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import Locked, SlotUnavailable, TooManyRequests, ValidationFailed
from core.throttling import client_address
from reservations.availability import availability_invalidate
from reservations.callers import reservation_book_anonymous
from restaurants.models import Restaurant
from restaurants.selectors import restaurants_visible_to
from web.booking import booking_steps, first_weekday, weekday_names
from web.forms import ChoiceForm, DetailsForm

# The guest's details between a refused submit and the next one (kept on the server, in the
# session, so a taken time does not make them type everything again), and the booking just made.
DRAFT = "booking_draft"
BOOKED = "booking_done"


def index(request):
    """The active restaurants, each with its address and a link to its booking page."""
    restaurants = restaurants_visible_to(AnonymousUser()).order_by("name", "pk")
    return render(request, "web/index.html", {"restaurants": restaurants})


def _bookable(slug: str) -> Restaurant:
    restaurant = restaurants_visible_to(AnonymousUser()).filter(slug=slug).first()
    if restaurant is None:
        raise Http404("No restaurant takes reservations here.")
    return restaurant


def _render(request, restaurant, form, steps, details, *, status=200, notice=""):
    context = {
        "restaurant": restaurant,
        "steps": steps,
        "form": form,
        "details": details,
        "notice": notice,
        "weekdays": weekday_names(first_weekday()),
        "embed": bool(steps.extra),
    }
    template = "web/book/steps.html" if request.htmx else "web/book/page.html"
    return render(request, template, context, status=status)


def _book(request, restaurant, steps, details):
    """Book the chosen time for the guest of ``details``: (booked, notice, status), the
    refusal shown where it belongs (the details' fields, the times, a limit)."""
    data = details.cleaned_data
    if data["website"]:
        # A honeypot filled in: refused without saying why.
        return False, _("Your booking could not be taken. Please try again."), 400
    try:
        booking = reservation_book_anonymous(
            restaurant_id=restaurant.pk,
            reservation_date=steps.day,
            reservation_time=steps.time,
            party_size=steps.party_size,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            notes=data["notes"],
            allergies=data["allergies"],
            client_address=client_address(request),
            language=request.LANGUAGE_CODE,
        )
    except ValidationFailed as exc:
        for field, messages in exc.details.items():
            target = field if field in details.fields else None
            for message in messages:
                details.add_error(target, message)
        return False, "", 400
    except (SlotUnavailable, Locked):
        return False, "taken", 409
    except TooManyRequests as exc:
        return False, exc.message, 429
    request.session[BOOKED] = {
        "restaurant_id": restaurant.pk,
        "date": booking.reservation_date.isoformat(),
        "time": f"{booking.reservation_time:%H:%M}",
        "party_size": booking.party_size,
        "expires_at": booking.expires_at.isoformat(),
    }
    request.session.pop(DRAFT, None)
    return True, "", 302


def book(request, slug: str):
    """The booking page: party and day, time, details; each step from the query string, the
    details posted to the same address."""
    restaurant = _bookable(slug)
    form = ChoiceForm(request.GET or None, restaurant=restaurant)
    extra = {"embed": "1"} if request.GET.get("embed") == "1" else {}
    steps = booking_steps(restaurant, form, extra=extra)
    if request.method != "POST":
        return _render(
            request, restaurant, form, steps, DetailsForm(initial=request.session.get(DRAFT))
        )
    details = DetailsForm(request.POST)
    if steps.step != 3:
        # The time went between choosing and submitting: keep the details, offer others.
        return _render(request, restaurant, form, steps, details, status=409)
    if not details.is_valid():
        return _render(request, restaurant, form, steps, details, status=400)
    booked_now, notice, status = _book(request, restaurant, steps, details)
    if booked_now:
        return redirect("booked", slug=restaurant.slug)
    if notice == "taken":
        request.session[DRAFT] = {k: v for k, v in details.cleaned_data.items() if k != "website"}
        # The booking core saw the time taken; an answer cached before that is not to be shown.
        availability_invalidate(restaurant_id=restaurant.pk, dates=[steps.day])
        steps = booking_steps(restaurant, form, extra=extra)
        steps.mark_taken()
        notice = ""
    return _render(request, restaurant, form, steps, details, status=status, notice=notice)


def booked(request, slug: str):
    """The result: the pending hold and when it lapses, in the restaurant's local time."""
    restaurant = _bookable(slug)
    done = request.session.get(BOOKED)
    if not done or done.get("restaurant_id") != restaurant.pk:
        return redirect("book", slug=restaurant.slug)
    expires = datetime.fromisoformat(done["expires_at"]).astimezone(restaurant.tz)
    context = {
        "restaurant": restaurant,
        "day": date.fromisoformat(done["date"]),
        "time": time.fromisoformat(done["time"]),
        "party_size": done["party_size"],
        # As text: the template's time filter would show an aware time in UTC.
        "expires": f"{expires:%H:%M}",
        "embed": request.GET.get("embed") == "1",
    }
    return render(request, "web/book/booked.html", context)
