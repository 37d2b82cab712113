"""The host stand's pages (docs/host-stand.md): thin views over the reservations' selectors
and services, as the API's. Every page works as plain forms and redirects; with htmx a form
swaps the day in place, and the day polls its live fragment (answered 304 when unchanged)."""

import hashlib
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth import login, logout
from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.clock import now as clock_now
from core.errors import ApplicationError, ValidationFailed
from customers.selectors import customer_search, customers_bookable_at
from reservations import services
from reservations.callers import reservation_create, reservation_walk_in
from reservations.host_day import (
    ON_TIMELINE,
    host_actions,
    host_day,
    host_day_version,
    host_reservation,
    host_reservation_table_numbers,
    host_seatings,
)
from reservations.models import Reservation
from web.host.access import HostStand, host_restaurants, host_stand
from web.host.forms import (
    CancelForm,
    DayForm,
    MoveForm,
    PhoneBookingForm,
    RemarksForm,
    SignInForm,
    WalkInForm,
    search_text,
    table_ids_of,
)
from web.host.refusals import field_refusal, refusal
from web.host.timeline import timeline_of

# The host stand's actions: their address, service and whether they take a reason.
ACTIONS = {
    "confirm": services.reservation_confirm,
    "seat": services.reservation_seat,
    "complete": services.reservation_complete,
    "no-show": services.reservation_mark_no_show,
    "cancel": services.reservation_cancel,
}
ACTION_SLUGS = {"confirm": "confirm", "seat": "seat", "complete": "complete",
                "no_show": "no-show", "cancel": "cancel"}  # fmt: skip
# How many guests the phone booking's search shows.
MATCHES = 10
# The live fragment's answers change with the clock too (lapsed holds, the "now" line): its
# ETag carries the minute, so an unchanged day still renders once a minute.
ETAG_CLOCK_SECONDS = 60


def staff_page(view):
    """Someone not signed in goes to the sign-in page first (for every slug alike); anyone
    signed in who is not the restaurant's staff gets a 404 (access.host_stand)."""

    @wraps(view)
    def wrapper(request, slug: str, **kwargs):
        if not request.user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('host:home')}?{query}")
        stand = host_stand(request.user, slug)
        # Every time the page shows is the restaurant's.
        with timezone.override(stand.restaurant.tz):
            return view(request, stand, **kwargs)

    return wrapper


def _day_url(stand: HostStand, day=None, q: str = "", anchor: str = "") -> str:
    url = reverse("host:day", kwargs={"slug": stand.restaurant.slug})
    params = {}
    if day is not None:
        params["date"] = day.isoformat()
    if q:
        params["q"] = q
    return url + (f"?{urlencode(params)}" if params else "") + (f"#{anchor}" if anchor else "")


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("host:home")


# --- sign-in and the restaurants ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def home(request):
    """Signed out: the sign-in form. Signed in: the restaurants whose host stand they open."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        form = SignInForm(request, request.POST)
        if form.is_valid():
            login(request, form.user)
            return redirect(_safe_next(request, next_url))
        return render(request, "host/sign_in.html", {"form": form, "next": next_url}, status=400)
    if not request.user.is_authenticated:
        return render(request, "host/sign_in.html", {"form": SignInForm(request), "next": next_url})
    restaurants = list(host_restaurants(request.user))
    return render(request, "host/home.html", {"restaurants": restaurants})


@require_POST
def sign_out(request):
    logout(request)
    return redirect("host:home")


# --- the day ------------------------------------------------------------------------------


def _etag(request, stand: HostStand, day, q: str) -> str | None:
    """The live fragment's ETag: the day's version (bumped by every change of it), what the
    page shows it for (date, search, language, who) and the clock's minute. None when the
    cache cannot give the version: then every poll renders."""
    version = host_day_version(restaurant_id=stand.restaurant.pk, day=day)
    if version is None:
        return None
    minute = int(clock_now().timestamp() // ETAG_CLOCK_SECONDS)
    parts = [version, day.isoformat(), q, request.LANGUAGE_CODE, str(request.user.pk), str(minute)]
    return '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'


def _admin_links(stand: HostStand) -> list[tuple[str, str]]:
    """Managers' (and superusers') links to edit the restaurant in the admin: its page, and
    the parts of it (the inlines' groups) for tables, hours, combinations and staff."""
    if not stand.can_manage:
        return []
    page = reverse("admin:restaurants_restaurant_change", args=[stand.restaurant.pk])
    return [
        (_("Restaurant"), page),
        (_("Tables"), page + "#tables-group"),
        (_("Opening hours"), page + "#opening_hours-group"),
        (_("Combinations"), page + "#table_combinations-group"),
        (_("Staff"), page + "#memberships-group"),
    ]


def _day_context(request, stand: HostStand, day, q: str, **extra) -> dict:
    etag = _etag(request, stand, day, q)
    read = host_day(restaurant=stand.restaurant, day=day, now=clock_now(), q=q)
    return {
        "stand": stand,
        "restaurant": stand.restaurant,
        "day": read,
        "timeline": timeline_of(read),
        "q": q,
        "etag": etag or "",
        "errors": {},
        "action_slugs": ACTION_SLUGS,
        "walk_in": WalkInForm(prefix="walk_in"),
        "walk_in_error": "",
        "walk_in_notice": "",
        "legend": ON_TIMELINE,
        "admin_links": _admin_links(stand),
        "previous_url": _day_url(stand, day.fromordinal(day.toordinal() - 1), q),
        "next_url": _day_url(stand, day.fromordinal(day.toordinal() + 1), q),
        "today_url": _day_url(stand, q=q),
        **extra,
    }


def _asked_day(request, stand: HostStand, data):
    """The day and search asked for, or the form with its errors."""
    form = DayForm(data)
    if not form.is_valid():
        return form, None, ""
    today = clock_now().astimezone(stand.restaurant.tz).date()
    return form, form.cleaned_data["date"] or today, form.cleaned_data["q"].strip()


def _render_day(request, stand, day, q, *, status=200, **extra):
    context = _day_context(request, stand, day, q, **extra)
    template = "host/live.html" if request.htmx else "host/day.html"
    response = render(request, template, context, status=status)
    if request.htmx and context["etag"]:
        response["ETag"] = context["etag"]
    return response


@require_GET
@staff_page
def day_page(request, stand: HostStand):
    form, day, q = _asked_day(request, stand, request.GET)
    if day is None:
        context = {"stand": stand, "restaurant": stand.restaurant, "form": form}
        return render(request, "host/bad_day.html", context, status=400)
    return render(request, "host/day.html", _day_context(request, stand, day, q, form=form))


@require_GET
@staff_page
def live(request, stand: HostStand):
    """The day's live fragment, polled every few seconds: 304 without reading a reservation
    when the If-None-Match the page sends is the day's current ETag."""
    form, day, q = _asked_day(request, stand, request.GET)
    if day is None:
        context = {"stand": stand, "restaurant": stand.restaurant, "form": form}
        return render(request, "host/bad_day.html", context, status=400)
    etag = _etag(request, stand, day, q)
    if etag is not None and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response
    context = _day_context(request, stand, day, q)
    context["etag"] = etag or ""
    response = render(request, "host/live.html", context)
    if etag is not None:
        response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


# --- a reservation ------------------------------------------------------------------------


def _reservation(stand: HostStand, reservation_id) -> Reservation:
    reservation = host_reservation(restaurant_id=stand.restaurant.pk, reservation_id=reservation_id)
    if reservation is None:
        raise Http404("No such reservation.")
    return reservation


def _reservation_context(stand, reservation, **extra) -> dict:
    seatings = host_seatings(stand.restaurant.pk)
    initial = {
        "date": reservation.reservation_date,
        "time": reservation.reservation_time.strftime("%H:%M"),
        "party_size": reservation.party_size,
        "tables": "",
    }
    context = {
        "stand": stand,
        "restaurant": stand.restaurant,
        "reservation": reservation,
        "status": services.transitions.effective_status(reservation, clock_now()),
        "table_numbers": host_reservation_table_numbers(reservation),
        "move": MoveForm(initial=initial, seatings=seatings, prefix="move"),
        "remarks": RemarksForm(
            initial={"notes": reservation.notes, "allergies": reservation.allergies},
            prefix="remarks",
        ),
        "action_slugs": ACTION_SLUGS,
        "error": "",
        "move_error": "",
        "remarks_error": "",
        "back_url": _day_url(stand, reservation.reservation_date, anchor=f"r-{reservation.pk}"),
        **extra,
    }
    context["actions"] = host_actions(reservation, clock_now())
    return context


@require_GET
@staff_page
def reservation_page(request, stand: HostStand, reservation_id):
    reservation = _reservation(stand, reservation_id)
    return render(request, "host/reservation.html", _reservation_context(stand, reservation))


@require_POST
@staff_page
def act(request, stand: HostStand, reservation_id, action: str):
    """Confirm, seat, complete, mark a no-show or cancel, through the state machine's
    services with the host stand's actor: the same rules and e-mails as the API."""
    reservation = _reservation(stand, reservation_id)
    service = ACTIONS.get(action)
    if service is None:
        raise Http404("No such action.")
    from_detail = request.POST.get("back") == "reservation"
    # The search only says which list to come back to: one that cannot be searched is dropped.
    q = search_text(request.POST.get("q")) or ""
    kwargs, error, status = {}, "", 200
    if action == "cancel":
        form = CancelForm(request.POST)
        if form.is_valid():
            kwargs["reason"] = form.cleaned_data["reason"]
        else:
            error, status = field_refusal("reason"), 400
    if not error:
        try:
            service(reservation=reservation, actor=stand.actor, **kwargs)
        except ApplicationError as exc:
            error, status = refusal(exc), exc.status
    if from_detail:
        if error:
            reservation.refresh_from_db()
            context = _reservation_context(stand, reservation, error=error)
            return render(request, "host/reservation.html", context, status=status)
        return redirect(
            reverse(
                "host:reservation",
                kwargs={"slug": stand.restaurant.slug, "reservation_id": reservation.pk},
            ),
            permanent=False,
        )
    day = reservation.reservation_date
    if error:
        return _render_day(request, stand, day, q, status=status, errors={reservation.pk: error})
    if request.htmx:
        return _render_day(request, stand, day, q)
    return redirect(_day_url(stand, day, q, anchor=f"r-{reservation.pk}"))


def _change(request, stand, reservation, data, form, field_names) -> str:
    """Run the booking core's change; its refusal is put next to the field it names (or on
    the form), in the page's words. Returns the form-wide refusal, if any."""
    try:
        services.reservation_change(
            reservation=reservation, actor=stand.actor, data=data, override_notice=True
        )
    except ValidationFailed as exc:
        named = [f for f in exc.details if f in field_names]
        for name in named:
            form.add_error(field_names[name], field_refusal(name))
        return "" if named else refusal(exc)
    except ApplicationError as exc:
        return refusal(exc)
    return ""


@require_POST
@staff_page
def move(request, stand: HostStand, reservation_id):
    """A new date, time, party size or tables, through ``reservation_change``."""
    reservation = _reservation(stand, reservation_id)
    form = MoveForm(request.POST, seatings=host_seatings(stand.restaurant.pk), prefix="move")
    error = ""
    if form.is_valid():
        data = {
            "reservation_date": form.cleaned_data["date"],
            "reservation_time": form.cleaned_data["time"],
            "party_size": form.cleaned_data["party_size"],
        }
        tables = table_ids_of(form.cleaned_data["tables"])
        if tables is not None:
            data["table_ids"] = tables
        fields = {
            "reservation_date": "date",
            "reservation_time": "time",
            "party_size": "party_size",
            "table_ids": "tables",
            "table_id": "tables",
        }
        error = _change(request, stand, reservation, data, form, fields)
        if not error and not form.errors:
            reservation.refresh_from_db()
            return redirect(
                _day_url(stand, reservation.reservation_date, anchor=f"r-{reservation.pk}")
            )
    context = _reservation_context(stand, reservation, move=form, move_error=error)
    return render(request, "host/reservation.html", context, status=409 if error else 400)


@require_POST
@staff_page
def remarks(request, stand: HostStand, reservation_id):
    """The party's notes and allergies, through ``reservation_change``."""
    reservation = _reservation(stand, reservation_id)
    form = RemarksForm(request.POST, prefix="remarks")
    error = ""
    if form.is_valid():
        fields = {"notes": "notes", "allergies": "allergies"}
        error = _change(request, stand, reservation, dict(form.cleaned_data), form, fields)
        if not error and not form.errors:
            return redirect(
                _day_url(stand, reservation.reservation_date, anchor=f"r-{reservation.pk}")
            )
    context = _reservation_context(stand, reservation, remarks=form, remarks_error=error)
    return render(request, "host/reservation.html", context, status=409 if error else 400)


# --- new bookings ---------------------------------------------------------------------------


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


PHONE_FIELDS = {
    "reservation_date": "date",
    "reservation_time": "time",
    "party_size": "party_size",
    "table_ids": "tables",
    "table_id": "tables",
    "customer_id": None,
    "customer": None,
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "notes": "notes",
    "allergies": "allergies",
}


@require_http_methods(["GET", "POST"])
@staff_page
def phone_booking(request, stand: HostStand):
    """A booking taken by phone for a guest found by name, e-mail or phone (or a new
    profile), through the booking core (reservations.callers.reservation_create, source
    ``phone``). Without JavaScript, "Find" reloads the form with the matches."""
    seatings = host_seatings(stand.restaurant.pk)
    today = clock_now().astimezone(stand.restaurant.tz).date()
    error, status = "", 200
    if request.method == "GET":
        bound = "guest_q" in request.GET
        form = PhoneBookingForm(
            request.GET if bound else None,
            seatings=seatings,
            initial={"date": request.GET.get("date") or today, "party_size": 2},
        )
        q = search_text(request.GET.get("guest_q"))
        if bound:
            form.errors.clear()  # a search is no submit: no refusals yet
            if q is None:
                form.add_error("guest_q", ProhibitNullCharactersValidator.message)
                status = 400
    else:
        form = PhoneBookingForm(request.POST, seatings=seatings)
        q = search_text(request.POST.get("guest_q"))  # a NUL one makes the form invalid
        if form.is_valid():
            data = form.cleaned_data
            guest: dict = {}
            if data["customer_id"] is not None:
                guest["customer_id"] = data["customer_id"]
            else:
                guest["customer"] = {
                    "first_name": data["first_name"],
                    "last_name": data["last_name"],
                    "email": data["email"],
                    "phone": data["phone"],
                }
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
                    override_notice=True,
                    **guest,
                )
            except ValidationFailed as exc:
                named = [f for f in exc.details if PHONE_FIELDS.get(f)]
                for name in named:
                    form.add_error(PHONE_FIELDS[name], field_refusal(name))
                error = "" if named else refusal(exc)
                status = exc.status
            except ApplicationError as exc:
                error, status = refusal(exc), exc.status
            else:
                return redirect(
                    _day_url(stand, reservation.reservation_date, anchor=f"r-{reservation.pk}")
                )
        else:
            status = 400
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
        "day_url": _day_url(stand),
    }
    return render(request, "host/phone_booking.html", context, status=status)


@require_POST
@staff_page
def walk_in(request, stand: HostStand):
    """A party at the door, seated now at a free seating
    (reservations.callers.reservation_walk_in), or the refusal's reason."""
    form = WalkInForm(request.POST, prefix="walk_in")
    today = clock_now().astimezone(stand.restaurant.tz).date()
    if not form.is_valid():
        return _render_day(request, stand, today, "", status=400, walk_in=form)
    data = form.cleaned_data
    try:
        reservation = reservation_walk_in(
            user=request.user,
            restaurant_id=stand.restaurant.pk,
            party_size=data["party_size"],
            guest_name=data["guest_name"],
            phone=data["phone"],
        )
    except ValidationFailed as exc:
        named = [f for f in exc.details if f in form.fields]
        for name in named:
            form.add_error(name, field_refusal(name))
        error = "" if named else refusal(exc)
        return _render_day(
            request, stand, today, "", status=exc.status, walk_in=form, walk_in_error=error
        )
    except ApplicationError as exc:
        return _render_day(
            request, stand, today, "", status=exc.status, walk_in=form, walk_in_error=refusal(exc)
        )
    return redirect(_day_url(stand, reservation.reservation_date, anchor=f"r-{reservation.pk}"))
