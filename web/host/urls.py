"""The host stand's addresses, under /host/ (docs/host-stand.md)."""

from django.urls import path

from web.host import staff, views

app_name = "host"

RESERVATION = "<slug:slug>/reservations/<uuid:reservation_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("<slug:slug>/", views.day_page, name="day"),
    path("<slug:slug>/live/", views.live, name="live"),
    path("<slug:slug>/phone-booking/", views.phone_booking, name="phone_booking"),
    path("<slug:slug>/guests/", views.guests, name="guests"),
    path("<slug:slug>/walk-in/", views.walk_in, name="walk_in"),
    path("<slug:slug>/staff/", staff.staff, name="staff"),
    path(
        "<slug:slug>/staff/invitations/<int:invitation_id>/withdraw/",
        staff.withdraw,
        name="withdraw_invitation",
    ),
    path(RESERVATION, views.reservation_page, name="reservation"),
    path(RESERVATION + "move/", views.move, name="move"),
    path(RESERVATION + "notes/", views.remarks, name="remarks"),
    path(RESERVATION + "<slug:action>/", views.act, name="act"),
]
