"""`tracker admin`: operator accounts of the dashboard that `tracker serve` shows at /admin/."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from tracker import services
from tracker.cli.output import console, escaped, operator_errors, plain, settings_of
from tracker.store.operators import OperatorExists
from tracker.web.admin.accounts import AccountError, create_user, set_user_password


def _password() -> str:
    """A hidden prompt (asked twice) on a terminal; otherwise the first line of stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


@click.group()
def admin() -> None:
    """Operator accounts of the dashboard (/admin/ of `tracker serve`)."""


@admin.command("create-user")
@click.argument("name")
@click.pass_context
@operator_errors
def create_user_command(ctx: click.Context, name: str) -> None:
    """Create operator NAME (asks for the password, or reads a line of stdin); turns /admin/ on."""
    settings = settings_of(ctx)
    password = _password()
    store = services.open_settings_store(settings)
    try:
        create_user(store, name, password, datetime.now(UTC))
    except (AccountError, OperatorExists) as exc:
        raise click.ClickException(plain(str(exc))) from exc
    finally:
        store.close()
    console.print(f"operator {escaped(name)} created: log in at /admin/ of `tracker serve`")


@admin.command("set-password")
@click.argument("name")
@click.pass_context
@operator_errors
def set_password_command(ctx: click.Context, name: str) -> None:
    """Give operator NAME a new password (asked, or one line of stdin); their sessions end."""
    settings = settings_of(ctx)
    password = _password()
    store = services.open_existing_store(settings)
    try:
        set_user_password(store, name, password)
    except AccountError as exc:
        raise click.ClickException(plain(str(exc))) from exc
    finally:
        store.close()
    console.print(f"operator {escaped(name)}: password changed, sessions ended")
