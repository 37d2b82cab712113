from django.urls import path

from web import views

urlpatterns = [
    path("", views.index, name="index"),
    path("book/<slug:slug>/", views.book, name="book"),
    path("book/<slug:slug>/booked/", views.booked, name="booked"),
]
