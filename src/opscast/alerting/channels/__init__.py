"""Delivery channels behind one interface; each is built only when its settings are set.

An unconfigured channel does not exist, so opscast runs without any credentials and a
rule naming a channel nobody configured simply skips it.
"""

from __future__ import annotations

from opscast.alerting.channels.alertmanager import AlertmanagerChannel
from opscast.alerting.channels.base import Channel
from opscast.alerting.channels.console import ConsoleChannel
from opscast.alerting.channels.email import EmailChannel
from opscast.alerting.channels.pagerduty import PagerDutyChannel
from opscast.alerting.channels.slack import SlackChannel
from opscast.alerting.channels.webhook import WebhookChannel
from opscast.config import Settings


def configured_channels(settings: Settings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.alert_console:
        channels["console"] = ConsoleChannel()
    if settings.alert_webhook_url:
        channels["webhook"] = WebhookChannel(settings.alert_webhook_url)
    if settings.alert_slack_webhook_url is not None:
        channels["slack"] = SlackChannel(settings.alert_slack_webhook_url.get_secret_value())
    if settings.alert_smtp_host and settings.alert_email_to:
        password = settings.alert_smtp_password
        channels["email"] = EmailChannel(
            settings.alert_smtp_host,
            settings.alert_smtp_port,
            settings.alert_email_from,
            list(settings.alert_email_to),
            username=settings.alert_smtp_username,
            password=None if password is None else password.get_secret_value(),
            starttls=settings.alert_smtp_starttls,
        )
    if settings.alert_pagerduty_routing_key is not None:
        channels["pagerduty"] = PagerDutyChannel(
            settings.alert_pagerduty_routing_key.get_secret_value(),
            settings.alert_pagerduty_url,
        )
    if settings.alert_alertmanager_url:
        channels["alertmanager"] = AlertmanagerChannel(settings.alert_alertmanager_url)
    return channels
