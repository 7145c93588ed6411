"""`tracker alerts`: test a channel, see each rule's state, read what was sent and why."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.table import Table

from tracker import services
from tracker.cli.output import console, escaped, operator_errors, settings_of, when


@click.group()
def alerts() -> None:
    """Alerts on your channels (Apprise URLs in [alerts.channels] of tracker.toml)."""


@alerts.command("test")
@click.argument("channel", required=False)
@click.pass_context
@operator_errors
def alerts_test(ctx: click.Context, channel: str | None) -> None:
    """Send a test message to CHANNEL (or every channel) now; exit 1 if one fails."""
    results = services.test_alert_channels(settings_of(ctx), channel, datetime.now(UTC))
    failed = False
    for result in results:
        if result.error is None:
            console.print(f"{escaped(result.channel)}: sent ({escaped(result.where)})")
        else:
            failed = True
            console.print(
                f"[red]{escaped(result.channel)}: failed[/red] ({escaped(result.where)}): "
                f"{escaped(result.error)}",
                soft_wrap=True,
            )
    if failed:
        raise click.exceptions.Exit(1)


@alerts.command("list")
@click.option(
    "--all", "show_all", is_flag=True, help="Armed rules too (one row per rule and listing)."
)
@click.pass_context
@operator_errors
def alerts_list(ctx: click.Context, show_all: bool) -> None:
    """The channels, the rules and where they go, and each rule's state per listing/vendor
    (those not armed; --all for every one)."""
    view = services.alert_overview(settings_of(ctx))
    if not view.channels:
        console.print("No alert channel configured: alerts are off (see README, Alerts).")
    for name, where in view.channels:
        console.print(f"channel {escaped(name)}: {escaped(where)}")
    rules = Table("rule", "enabled", "channels (site-wide)")
    for name, enabled, channels in view.rules:
        rules.add_row(name, "yes" if enabled else "no", escaped(", ".join(channels) or "-"))
    console.print(rules)
    table = Table("rule", "subject", "state", "since", "last fired", "fires", "last seen")
    for row in view.states:
        if row.phase == "armed" and not show_all:
            continue
        table.add_row(
            escaped(row.rule),
            escaped(view.names.get(row.subject, row.subject)),
            escaped(row.phase),
            when(row.since),
            when(row.fired_at),
            str(row.fires),
            escaped((row.detail or "-")[:160]),
        )
    console.print(table)
    console.print(
        "Times in UTC. armed: waiting for its condition; pending: true, not long enough "
        "yet; fired: sent once; clearing: false again, re-arms after a while."
    )


@alerts.command("log")
@click.option("--limit", default=50, show_default=True, help="How many messages, newest first.")
@click.pass_context
@operator_errors
def alerts_log(ctx: click.Context, limit: int) -> None:
    """What was sent, what is pending (and why), what was folded or suppressed."""
    rows, names = services.alert_log(settings_of(ctx), limit)
    table = Table("id", "created", "rule", "subject", "channel", "status", "tries", "why")
    for row in rows:
        why = row.last_error if row.status in ("pending", "failed") else row.reason
        if row.status == "sent":
            why = f"sent {when(row.sent_at)}"
        elif row.status == "pending" and row.next_attempt_at:
            why = f"next try {when(row.next_attempt_at)}: {row.last_error or 'not tried yet'}"
        table.add_row(
            str(row.id),
            when(row.created_at),
            escaped(row.rule),
            escaped(names.get(row.subject, row.subject)),
            escaped(row.channel),
            escaped(row.status),
            str(row.attempts),
            escaped(why or "-"),
        )
    console.print(table)
    console.print("Times in UTC.")


@alerts.command("run")
@click.pass_context
@operator_errors
def alerts_run(ctx: click.Context) -> None:
    """Evaluate the rules now and send what is due (pending retries included)."""
    done = services.run_alerts_now(settings_of(ctx), datetime.now(UTC))
    if done.error:
        console.print(f"[red]alerts failed:[/red] {escaped(done.error)}", soft_wrap=True)
        raise click.exceptions.Exit(1)
    if done.evaluated is None or done.delivered is None:
        console.print("No alert channel configured: alerts are off.")
        return
    e, d = done.evaluated, done.delivered
    console.print(
        f"{len(e.fired)} fired, {len(e.suppressed)} suppressed, {len(e.rearmed)} re-armed, "
        f"{e.queued} queued, {e.folded} folded; {len(d.sent)} sent, {len(d.failed)} failed "
        f"(still pending)"
    )
    for ident, error in d.failed.items():
        console.print(f"message {ident}: {escaped(error)}", soft_wrap=True)
    if d.failed:
        raise click.exceptions.Exit(1)
