"""The host stand's addresses, under /host/ (docs/host-stand.md)."""

from django.urls import path

from web.host import bookings, day, reservation, sign_in, staff

app_name = "host"

RESERVATION = "<slug:slug>/reservations/<uuid:reservation_id>/"

urlpatterns = [
    path("", sign_in.home, name="home"),
    path("sign-out/", sign_in.sign_out, name="sign_out"),
    path("<slug:slug>/", day.day_page, name="day"),
    path("<slug:slug>/live/", day.live, name="live"),
    path("<slug:slug>/phone-booking/", bookings.phone_booking, name="phone_booking"),
    path("<slug:slug>/guests/", bookings.guests, name="guests"),
    path("<slug:slug>/walk-in/", bookings.walk_in, name="walk_in"),
    path("<slug:slug>/staff/", staff.staff, name="staff"),
    path(
        "<slug:slug>/staff/invitations/<int:invitation_id>/withdraw/",
        staff.withdraw,
        name="withdraw_invitation",
    ),
    path(RESERVATION, reservation.reservation_page, name="reservation"),
    path(RESERVATION + "move/", reservation.move, name="move"),
    path(RESERVATION + "notes/", reservation.remarks, name="remarks"),
    path(RESERVATION + "<slug:action>/", reservation.act, name="act"),
]
