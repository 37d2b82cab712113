"""The guest pages: thin views over the restaurants' and reservations' selectors and services."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import render

from restaurants.models import Restaurant
from restaurants.selectors import restaurants_visible_to
from web.booking import booking_steps, first_weekday, weekday_names
from web.forms import ChoiceForm


def index(request):
    """The active restaurants, each with its address and a link to its booking page."""
    restaurants = restaurants_visible_to(AnonymousUser()).order_by("name", "pk")
    return render(request, "web/index.html", {"restaurants": restaurants})


def _bookable(slug: str) -> Restaurant:
    restaurant = restaurants_visible_to(AnonymousUser()).filter(slug=slug).first()
    if restaurant is None:
        raise Http404("No restaurant takes reservations here.")
    return restaurant


def book(request, slug: str):
    """The booking page: party and day, time, details; each step from the query string."""
    restaurant = _bookable(slug)
    form = ChoiceForm(request.GET or None, restaurant=restaurant)
    extra = {"embed": "1"} if request.GET.get("embed") == "1" else {}
    steps = booking_steps(restaurant, form, extra=extra)
    context = {
        "restaurant": restaurant,
        "steps": steps,
        "form": form,
        "weekdays": weekday_names(first_weekday()),
        "embed": bool(extra),
    }
    template = "web/book/steps.html" if request.htmx else "web/book/page.html"
    return render(request, template, context)
