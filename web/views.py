"""The guest pages: thin views over the restaurants' and reservations' selectors and services."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import (
    HoldLimit,
    Locked,
    PacingLimit,
    SlotUnavailable,
    Throttled,
    TooManyRequests,
    ValidationFailed,
)
from core.throttling import client_address
from reservations.availability import availability_invalidate
from reservations.callers import AnonymousBooking, reservation_book_anonymous
from restaurants.models import Restaurant
from restaurants.selectors import party_sizes_seated, restaurants_visible_to
from web.booking import booking_steps, default_party_size, first_weekday, weekday_names
from web.forms import ChoiceForm, DetailsForm
from web.framing import allow_framing_by, embed_mode, embed_params
from web.receipt import receipt_read, receipt_token
from web.request_origin import posted_by_this_site

# The guest's details between a refused submit and the next one (kept on the server, in the
# session, so a taken time does not make them type everything again). Not in a frame on the
# restaurant's site: the browser sends no session cookie there, so nothing is kept and the
# guest types them again.
DRAFT = "booking_draft"
TAKEN = "taken"


def index(request):
    """The active restaurants, each with its address and a link to its booking page."""
    restaurants = restaurants_visible_to(AnonymousUser()).order_by("name", "pk")
    return render(request, "web/index.html", {"restaurants": restaurants})


def _bookable(slug: str) -> Restaurant:
    restaurant = restaurants_visible_to(AnonymousUser()).filter(slug=slug).first()
    if restaurant is None:
        raise Http404("No restaurant takes reservations here.")
    return restaurant


def _page_url(name: str, restaurant: Restaurant, params: dict[str, str]) -> str:
    url = reverse(name, kwargs={"slug": restaurant.slug})
    return f"{url}?{urlencode(params)}" if params else url


def _framed(request, restaurant: Restaurant, response):
    """In the embed mode, the restaurant's own sites may frame the answer (web.framing)."""
    if embed_mode(request):
        allow_framing_by(response, restaurant.embed_origins)
    return response


def _render(request, restaurant, form, steps, details, *, status=200, notice=""):
    context = {
        "restaurant": restaurant,
        "steps": steps,
        "form": form,
        "details": details,
        "notice": notice,
        "weekdays": weekday_names(first_weekday()),
        "embed": "embed" in steps.extra,
    }
    template = "web/book/steps.html" if request.htmx else "web/book/page.html"
    return render(request, template, context, status=status)


def _field_refusal(field: str) -> str:
    """The page's own words for the booking core's refusal of a detail (the core speaks
    English to every caller; the page speaks the guest's language)."""
    return {
        "first_name": _("Enter your first name, at most 150 characters."),
        "last_name": _("Enter at most 150 characters."),
        "email": _("Enter a valid email address."),
        "phone": _("Enter a valid phone number with its country code, e.g. +34 600 123 456."),
        "notes": _("Enter at most 2000 characters."),
        "allergies": _("Enter at most 2000 characters."),
    }.get(field, _("This time can no longer be booked online. Please choose another."))


def _limit_notice(exc: TooManyRequests) -> str:
    """What the page says over a limit. Over a hold limit it never says why: whoever types an
    address or a phone number must not learn that it holds tables here (nor until when, so
    no Retry-After either). Over the attempts of a connection it says when to come back."""
    if isinstance(exc, HoldLimit):
        return _(
            "We cannot take another booking with these details online just now. If you "
            "already have bookings here, you can manage them from the links in our emails, or "
            "call the restaurant."
        )
    minutes = max(1, exc.retry_after_minutes)
    return ngettext(
        "Too many booking attempts from your connection. Please try again in %(minutes)s minute.",
        "Too many booking attempts from your connection. Please try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


@dataclass(frozen=True)
class Outcome:
    """A submit's result: the booking, or the refusal's notice, status and Retry-After."""

    status: int
    booking: AnonymousBooking | None = None
    notice: str = ""
    retry_after: int | None = None


def _book(request, restaurant, steps, details) -> Outcome:
    """Book the chosen time for the guest of ``details``, the refusal shown where it belongs
    (the details' fields, the times, a limit)."""
    data = details.cleaned_data
    if data["website"]:
        # A honeypot filled in: refused without saying why.
        return Outcome(notice=_("Your booking could not be taken. Please try again."), status=400)
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
        for field in exc.details:
            details.add_error(field if field in details.fields else None, _field_refusal(field))
        return Outcome(status=400)
    except (SlotUnavailable, PacingLimit, Locked):
        # A time the restaurant's pacing has filled meanwhile is as taken as its tables.
        return Outcome(notice=TAKEN, status=409)
    except TooManyRequests as exc:
        retry_after = exc.retry_after if isinstance(exc, Throttled) else None
        return Outcome(notice=_limit_notice(exc), status=429, retry_after=retry_after)
    request.session.pop(DRAFT, None)
    return Outcome(status=302, booking=booking)


def _keep_draft(request, details: DetailsForm) -> bool:
    """Keep the guest's details for the next time they choose (a best effort: the session);
    whether they were kept. Never in a frame: there the session cookie never comes back, and
    a draft would be the guest's details (allergies too) stored for nobody."""
    if embed_mode(request) or not details.is_valid():
        return False
    request.session[DRAFT] = {k: v for k, v in details.cleaned_data.items() if k != "website"}
    return True


def _choices(request, restaurant: Restaurant, sizes: list[int]) -> QueryDict:
    """The guest's choices from the query string: only the steps' own parameters (the embed
    mode, the language and whatever else a link carries, ``utm_source`` say, are not
    choices), and a day or time without a party size is for the default party, so
    ``?embed=1`` alone or ``?date=...`` open their step without complaints."""
    query = QueryDict(mutable=True)
    for name in ChoiceForm.base_fields:
        if name in request.GET:
            query.setlist(name, request.GET.getlist(name))
    if query and "party_size" not in query:
        query["party_size"] = str(default_party_size(restaurant, sizes))
    return query


# The post is checked by where it comes from instead of by Django's CSRF cookie, which a
# frame on the restaurant's site does not get: web.request_origin says why that is enough.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def book(request, slug: str):
    """The booking page: party and day, time, details; each step from the query string, the
    details posted to the same address. ``?embed=1`` is the same page without the site's
    header, framed by the restaurant's own sites; every link and form keeps the mode."""
    restaurant = _bookable(slug)
    return _framed(request, restaurant, _book_page(request, restaurant))


def _book_page(request, restaurant: Restaurant):
    sizes = party_sizes_seated(restaurant)
    form = ChoiceForm(
        _choices(request, restaurant, sizes) or None, restaurant=restaurant, party_sizes=sizes
    )
    extra = embed_params(request)
    steps = booking_steps(restaurant, form, extra=extra)
    if request.method != "POST":
        return _render(
            request, restaurant, form, steps, DetailsForm(initial=request.session.get(DRAFT))
        )
    if not posted_by_this_site(request):
        context = {
            "restaurant": restaurant,
            "embed": embed_mode(request),
            # The same page, the guest's choices kept: opened, it is theirs to submit.
            "again": request.get_full_path(),
        }
        return render(request, "web/book/refused.html", context, status=403)
    details = DetailsForm(request.POST)
    if steps.step != 3:
        # The time went between choosing and submitting (availability already knows): keep
        # the details, say so, offer others.
        if steps.step == 2 and steps.time is not None:
            steps.mark_taken(details_kept=_keep_draft(request, details))
        return _render(request, restaurant, form, steps, details, status=409)
    if not details.is_valid():
        return _render(request, restaurant, form, steps, details, status=400)
    outcome = _book(request, restaurant, steps, details)
    if outcome.booking is not None:
        token = receipt_token(restaurant_id=restaurant.pk, booking=outcome.booking)
        return redirect(_page_url("booked", restaurant, {"b": token, **extra}))
    notice = outcome.notice
    if notice == TAKEN:
        kept = _keep_draft(request, details)
        # The booking core saw the time taken; an answer cached before that is not to be shown.
        availability_invalidate(restaurant_id=restaurant.pk, dates=[steps.day])
        steps = booking_steps(restaurant, form, extra=extra)
        steps.mark_taken(details_kept=kept)
        notice = ""
    response = _render(
        request, restaurant, form, steps, details, status=outcome.status, notice=notice
    )
    if outcome.retry_after:
        response["Retry-After"] = str(outcome.retry_after)
    return response


@require_http_methods(["GET", "HEAD"])
def booked(request, slug: str):
    """The result: the pending hold and when it lapses, in the restaurant's local time, from
    the signed summary in the address (web.receipt)."""
    restaurant = _bookable(slug)
    done = receipt_read(request.GET.get("b", ""), restaurant_id=restaurant.pk)
    if done is None:
        response = redirect(_page_url("book", restaurant, embed_params(request)))
        return _framed(request, restaurant, response)
    expires = done["expires_at"].astimezone(restaurant.tz)
    context = {
        "restaurant": restaurant,
        "day": done["day"],
        "time": done["time"],
        "party_size": done["party_size"],
        # As text: the template's time filter would show an aware time in UTC.
        "expires": f"{expires:%H:%M}",
        "embed": embed_mode(request),
    }
    return _framed(request, restaurant, render(request, "web/book/booked.html", context))
