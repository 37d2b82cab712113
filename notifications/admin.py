from django.contrib import admin, messages

from core.errors import ApplicationError
from notifications.models import Notification
from notifications.recording import notification_resend
from restaurants.admin_access import SuperuserOnlyAdmin


@admin.register(Notification)
class NotificationAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """Every restaurant's outbox, with guests' addresses: for superusers."""

    list_display = ["kind", "reservation", "customer", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status", "reservation__restaurant"]
    search_fields = ["customer__email", "customer__last_name", "reservation__id", "message_id"]
    list_select_related = ["reservation", "customer"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Resend the selected failed notifications")
    def resend(self, request, queryset):
        done = 0
        for notification in queryset:
            try:
                notification_resend(notification=notification)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{notification}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{done} notification(s) queued again.", messages.SUCCESS)
