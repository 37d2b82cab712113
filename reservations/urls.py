from django.urls import path

from reservations.api import availability as availability_api
from reservations.api import manage as manage_api
from reservations.api import reservations as api
from reservations.api import walk_ins as walk_ins_api

urlpatterns = [
    path(
        "reservations/manage/<manage_token:token>/",
        manage_api.ManageReservationApi.as_view(),
        name="reservation-manage",
    ),
    path(
        "reservations/manage/<manage_token:token>/confirm/",
        manage_api.ManageConfirmApi.as_view(),
        name="reservation-manage-confirm-api",
    ),
    path(
        "reservations/manage/<manage_token:token>/cancel/",
        manage_api.ManageCancelApi.as_view(),
        name="reservation-manage-cancel-api",
    ),
    path(
        "restaurants/<int:restaurant_id>/availability/",
        availability_api.AvailabilityDayApi.as_view(),
        name="availability-day",
    ),
    path(
        "restaurants/<int:restaurant_id>/availability/days/",
        availability_api.AvailabilityCalendarApi.as_view(),
        name="availability-days",
    ),
    path(
        "restaurants/<int:restaurant_id>/walk-ins/",
        walk_ins_api.WalkInApi.as_view(),
        name="walk-in-create",
    ),
    path("reservations/", api.ReservationListCreateApi.as_view(), name="reservation-list"),
    path(
        "reservations/<uuid:reservation_id>/",
        api.ReservationDetailApi.as_view(),
        name="reservation-detail",
    ),
    path(
        "reservations/<uuid:reservation_id>/confirm/",
        api.ReservationConfirmApi.as_view(),
        name="reservation-confirm",
    ),
    path(
        "reservations/<uuid:reservation_id>/cancel/",
        api.ReservationCancelApi.as_view(),
        name="reservation-cancel",
    ),
    path(
        "reservations/<uuid:reservation_id>/seat/",
        api.ReservationSeatApi.as_view(),
        name="reservation-seat",
    ),
    path(
        "reservations/<uuid:reservation_id>/complete/",
        api.ReservationCompleteApi.as_view(),
        name="reservation-complete",
    ),
    path(
        "reservations/<uuid:reservation_id>/no-show/",
        api.ReservationNoShowApi.as_view(),
        name="reservation-no-show",
    ),
]
