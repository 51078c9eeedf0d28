"""Small text helpers shared by the views: times, day labels, previews, initials."""

from __future__ import annotations

from datetime import date, datetime, timedelta

PREVIEW_MAX_CHARS = 80


def local(when: datetime) -> datetime:
    """An aware datetime in the machine's local zone."""
    return when.astimezone()


def clock(when: datetime) -> str:
    """ "14:05" in local time."""
    return local(when).strftime("%H:%M")


def day_label(day: date, today: date | None = None) -> str:
    """ "Today", "Yesterday", "Monday 24 November", or with the year when it differs."""
    today = today or datetime.now().astimezone().date()
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    text = f"{day:%A} {day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def list_time(when: datetime | None, now: datetime | None = None) -> str:
    """Short time for the group list: a clock today, a weekday this week, else a date."""
    if when is None:
        return ""
    moment = local(when)
    now = now or datetime.now().astimezone()
    if moment.date() == now.date():
        return moment.strftime("%H:%M")
    if now.date() - moment.date() < timedelta(days=7):
        return moment.strftime("%a")
    if moment.year == now.year:
        return f"{moment.day} {moment:%b}"
    return moment.strftime("%Y-%m-%d")


def one_line(text: str, limit: int = PREVIEW_MAX_CHARS) -> str:
    """Collapse whitespace to one line and cut it to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def initials(name: str) -> str:
    """One or two letters for an avatar."""
    parts = [p for p in name.replace("_", " ").replace(".", " ").split() if p]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:1].upper()
    return (parts[0][:1] + parts[1][:1]).upper()
