"""Notification pages: the inbox, your subscriptions, and for admins the channels, their
deliveries and the outbound allow-list. Thin views over selectors; writes go through services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mlops_portal.api.base import filled
from mlops_portal.errors import PortalError
from notifications import forms, selectors, services
from notifications.models import ChannelKind, DeliveryStatus, Severity

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _form_error(form, error: PortalError) -> None:
    if error.status == 403:
        raise error
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- the inbox ------------------------------------------------------------------------------


def inbox(request):
    entries = selectors.inbox_list(user=request.user, filters=filled(request.GET))
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": _page(request, entries),
            "filters": request.GET,
            "severities": Severity.choices,
            "unread": selectors.inbox_unread_count(user=request.user),
        },
    )


@require_POST
def inbox_read(request):
    """Mark the ticked notifications read, or every one (``all``)."""
    if request.POST.get("all"):
        marked = services.inbox_mark_read(user=request.user)
    else:
        ids = request.POST.getlist("id")
        if not ids or not all(value.isdigit() for value in ids):
            messages.error(request, "id: tick the notifications to mark read.")
            return redirect("notification-inbox")
        marked = services.inbox_mark_read(
            user=request.user, notification_ids=[int(value) for value in ids]
        )
    messages.success(request, f"{marked} marked read.")
    return redirect("notification-inbox")


# --- subscriptions --------------------------------------------------------------------------


def subscription_settings(request):
    form = forms.SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, created = services.subscription_set(
                actor=request.user, **form.cleaned_data
            )
        except PortalError as error:
            _form_error(form, error)
        else:
            what = subscription.model.name if subscription.model_id else "all models"
            messages.success(request, f"Subscription for {what} {'added' if created else 'saved'}.")
            return redirect("subscription-settings")
    subscriptions = selectors.subscription_list(user=request.user).filter(user=request.user)
    subscribed = {sub.model_id for sub in subscriptions if sub.model_id}
    owned = [m for m in selectors.models_owned_by(user=request.user) if m.pk not in subscribed]
    return render(
        request,
        "notifications/subscriptions.html",
        {"form": form, "subscriptions": subscriptions, "owned_by_default": owned},
    )


@require_POST
def subscription_delete(request, pk: int):
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    channel_id = subscription.channel_id
    services.subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, "Subscription removed.")
    if channel_id:
        return redirect("channel-detail", pk=channel_id)
    return redirect("subscription-settings")


# --- channels (admins) ----------------------------------------------------------------------


def channel_list(request):
    channels = selectors.channel_list(user=request.user, filters=filled(request.GET))
    form = forms.ChannelCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel, secret = services.channel_create(actor=request.user, **form.cleaned_data)
        except PortalError as error:
            _form_error(form, error)
        else:
            if secret:
                # Shown once on the next page, then gone: only the encrypted secret is stored.
                request.session["new_channel_secret"] = [channel.pk, secret]
            messages.success(request, f"Channel {channel.name} created.")
            return redirect("channel-detail", pk=channel.pk)
    return render(
        request,
        "notifications/channel_list.html",
        {"page": _page(request, channels), "form": form, "kinds": ChannelKind.choices},
    )


def channel_detail(request, pk: int):
    channel = selectors.channel_get(user=request.user, pk=pk)
    form = forms.ChannelUpdateForm(
        request.POST or None,
        initial={
            "name": channel.name,
            "url": channel.url,
            "address": channel.address,
            "enabled": channel.enabled,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        destination = (
            {"address": data["address"]}
            if channel.kind == ChannelKind.EMAIL
            else {"url": data["url"]}
        )
        try:
            services.channel_update(
                actor=request.user,
                channel=channel,
                name=data["name"],
                enabled=data["enabled"],
                **destination,
            )
        except PortalError as error:
            _form_error(form, error)
        else:
            messages.success(request, "Channel saved.")
            return redirect("channel-detail", pk=channel.pk)
    new_secret = request.session.pop("new_channel_secret", None)
    deliveries = selectors.delivery_list(user=request.user, filters={"channel": str(channel.pk)})
    return render(
        request,
        "notifications/channel_detail.html",
        {
            "channel": channel,
            "form": form,
            "new_secret": new_secret[1] if new_secret and new_secret[0] == channel.pk else None,
            "subscriptions": selectors.channel_subscriptions(user=request.user, channel=channel),
            "subscription_form": forms.ChannelSubscriptionForm(),
            "deliveries": deliveries[:20],
        },
    )


@require_POST
def channel_test(request, pk: int):
    channel = selectors.channel_get(user=request.user, pk=pk)
    services.channel_test(actor=request.user, channel=channel)
    messages.success(
        request, f"Test message queued for {channel.name}: its delivery is listed below."
    )
    return redirect("channel-detail", pk=channel.pk)


@require_POST
def channel_delete(request, pk: int):
    channel = selectors.channel_get(user=request.user, pk=pk)
    services.channel_delete(actor=request.user, channel=channel)
    messages.success(request, f"Channel {channel.name} deleted.")
    return redirect("channel-list")


@require_POST
def channel_subscription_set(request, pk: int):
    channel = selectors.channel_get(user=request.user, pk=pk)
    form = forms.ChannelSubscriptionForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        messages.error(request, f"{field}: {errors[0]}")
        return redirect("channel-detail", pk=channel.pk)
    try:
        services.subscription_set(actor=request.user, channel=channel, **form.cleaned_data)
    except PortalError as error:
        if error.status == 403:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, "Channel subscription saved.")
    return redirect("channel-detail", pk=channel.pk)


# --- deliveries and the allow-list (admins) -------------------------------------------------


def delivery_list(request):
    deliveries = selectors.delivery_list(user=request.user, filters=filled(request.GET))
    return render(
        request,
        "notifications/delivery_list.html",
        {
            "page": _page(request, deliveries),
            "filters": request.GET,
            "statuses": DeliveryStatus.choices,
            "kinds": ChannelKind.choices,
            "counts": selectors.delivery_status_counts(user=request.user),
        },
    )


def allowlist(request):
    from_environment, entries = selectors.allowlist(user=request.user)
    form = forms.AllowEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.allowlist_entry_add(actor=request.user, **form.cleaned_data)
        except PortalError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"{entry.value} allowed.")
            return redirect("outbound-allowlist")
    return render(
        request,
        "notifications/allowlist.html",
        {"form": form, "from_environment": from_environment, "entries": entries},
    )


@require_POST
def allowlist_delete(request, pk: int):
    entry = selectors.allowlist_entry_get(user=request.user, pk=pk)
    services.allowlist_entry_remove(actor=request.user, entry=entry)
    messages.success(request, f"{entry.value} removed from the allow-list.")
    return redirect("outbound-allowlist")
