"""The host stand's day: the page of one service day, and its live fragment that every open
page polls (answered 304 when unchanged). Every other page comes back here (``day_url``) and
renders it after a refusal (``render_day``)."""

import hashlib
from datetime import date
from urllib.parse import urlencode

from django.http import HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.clock import now as clock_now
from reservations.host_day import ON_TIMELINE, host_day, host_day_version, host_today
from web.host.access import HostStand, staff_page
from web.host.day_list import day_list
from web.host.forms import DayForm, WalkInForm
from web.host.timeline import timeline_of

# The live fragment's answers change with the clock too (lapsed holds, the "now" line): its
# ETag carries the minute, so an unchanged day still renders once a minute.
ETAG_CLOCK_SECONDS = 60


def day_url(stand: HostStand, day: date | None = None, q: str = "", anchor: str = "") -> str:
    """The address of a day's page (today's without ``day``), with its search and anchor."""
    url = reverse("host:day", kwargs={"slug": stand.restaurant.slug})
    params = {}
    if day is not None:
        params["date"] = day.isoformat()
    if q:
        params["q"] = q
    return url + (f"?{urlencode(params)}" if params else "") + (f"#{anchor}" if anchor else "")


def _etag(request, stand: HostStand, day: date, q: str) -> str | None:
    """The live fragment's ETag: the day's version (bumped by every change of it), what the
    page shows it for (date, search, language, who) and the clock's minute. None when the
    cache cannot give the version: then every poll renders. Read before the day, so a change
    that commits meanwhile makes the next poll render again."""
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


def _day_context(request, stand: HostStand, day: date, q: str, etag: str | None, **extra) -> dict:
    read = host_day(restaurant=stand.restaurant, day=day, now=clock_now(), q=q)
    context = {
        "stand": stand,
        "restaurant": stand.restaurant,
        "day": read,
        "timeline": timeline_of(read),
        "q": q,
        "etag": etag or "",
        "refused": None,  # the reservation an action was refused for, with ``refusal``
        "refusal": "",
        "walk_in": WalkInForm(prefix="walk_in"),
        "walk_in_error": "",
        "legend": ON_TIMELINE,
        "admin_links": _admin_links(stand),
        "previous_url": day_url(stand, day.fromordinal(day.toordinal() - 1), q),
        "next_url": day_url(stand, day.fromordinal(day.toordinal() + 1), q),
        "today_url": day_url(stand, q=q),
        **extra,
    }
    context["list"] = day_list(
        slug=stand.restaurant.slug,
        listed=read.listed,
        q=q,
        refused=context["refused"],
        refusal=context["refusal"],
    )
    return context


def render_day(request, stand: HostStand, day: date, q: str, *, status: int = 200, **extra):
    """The day's page, or for an htmx request its live fragment (with its ETag)."""
    etag = _etag(request, stand, day, q)
    context = _day_context(request, stand, day, q, etag, **extra)
    template = "host/live.html" if request.htmx else "host/day.html"
    response = render(request, template, context, status=status)
    if request.htmx and etag:
        response["ETag"] = etag
    return response


def _asked_day(stand: HostStand, data) -> tuple[DayForm, date | None, str]:
    """The day and search asked for (without a date: today's service day, reservations
    .host_day.host_today), or the form with its errors and no day."""
    form = DayForm(data)
    if not form.is_valid():
        return form, None, ""
    day = form.cleaned_data["date"] or host_today(stand.restaurant, clock_now())
    return form, day, form.cleaned_data["q"].strip()


def _bad_day(request, stand: HostStand, form: DayForm):
    context = {"stand": stand, "restaurant": stand.restaurant, "form": form}
    return render(request, "host/bad_day.html", context, status=400)


@require_GET
@staff_page
def day_page(request, stand: HostStand):
    form, day, q = _asked_day(stand, request.GET)
    if day is None:
        return _bad_day(request, stand, form)
    etag = _etag(request, stand, day, q)
    return render(request, "host/day.html", _day_context(request, stand, day, q, etag, form=form))


@require_GET
@staff_page
def live(request, stand: HostStand):
    """The day's live fragment, polled every few seconds: 304 without reading a reservation
    when the If-None-Match the page sends is the day's current ETag."""
    form, day, q = _asked_day(stand, request.GET)
    if day is None:
        return _bad_day(request, stand, form)
    etag = _etag(request, stand, day, q)
    if etag is not None and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = render(request, "host/live.html", _day_context(request, stand, day, q, etag))
    if etag is not None:
        response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response
