"""The guest pages: thin views over the restaurants' and reservations' selectors and services."""

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render

from restaurants.selectors import restaurants_visible_to


def index(request):
    """The active restaurants, each with its address and a link to its booking page."""
    restaurants = restaurants_visible_to(AnonymousUser()).order_by("name", "pk")
    return render(request, "web/index.html", {"restaurants": restaurants})
