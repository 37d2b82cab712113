from django.templatetags.static import static
from django.urls import path
from django.views.generic.base import RedirectView

from web import views

urlpatterns = [
    path("", views.index, name="index"),
    # Browsers ask for /favicon.ico whatever the page says (the admin's pages too).
    path("favicon.ico", RedirectView.as_view(url=static("reservaflow/favicon.svg"))),
    path("book/<slug:slug>/", views.book, name="book"),
    path("book/<slug:slug>/booked/", views.booked, name="booked"),
]
