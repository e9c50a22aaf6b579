"""When a schedule's windows are open: plain functions over a window's fields and a local time.

A window is open on a day its weekdays and date range allow, between its start and end in the schedule's
time zone (the site's; a rack's site's; for a tag or every rig the panel's TIME_ZONE); an end before the
start runs past midnight (22:00-06:00 is open on Friday night into Saturday morning when Friday is one
of its days); no start and end: the whole day. ``open_until`` says until when, so the curtailment shows
its end before it comes.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

LONGEST_RUN = 366  # days an all-day window is followed forward to find its end


def zone(schedule):
    """The schedule's time zone: its site's, its rack's site's, else the panel's."""
    site = schedule.site if schedule.site_id else schedule.rack.site if schedule.rack_id else None
    name = (site.timezone if site is not None else "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def day_allowed(w, day: date) -> bool:
    if w.first_day and day < w.first_day:
        return False
    if w.last_day and day > w.last_day:
        return False
    return not w.weekdays or str(day.weekday()) in w.weekdays


def open_until(w, local: datetime):
    """The local end of the window's opening that holds ``local``, or None when it is closed then."""
    today, now_t = local.date(), local.time().replace(tzinfo=None)
    tz = local.tzinfo

    def at(day, t):
        return datetime.combine(day, t, tzinfo=tz)

    if w.start is None or w.end is None:  # all day, for as many days in a row as are allowed
        if not day_allowed(w, today):
            return None
        day = today
        for _ in range(LONGEST_RUN):
            if not day_allowed(w, day + timedelta(days=1)):
                break
            day += timedelta(days=1)
        return at(day + timedelta(days=1), time(0))
    if w.start < w.end:
        return at(today, w.end) if day_allowed(w, today) and w.start <= now_t < w.end else None
    if now_t >= w.start and day_allowed(w, today):  # past midnight: opened this evening
        return at(today + timedelta(days=1), w.end)
    if now_t < w.end and day_allowed(w, today - timedelta(days=1)):  # opened yesterday evening
        return at(today, w.end)
    return None


def schedule_until(schedule, windows, now: datetime):
    """Until when (aware) the schedule is open at ``now``, the latest of its open windows; None: closed."""
    local = now.astimezone(zone(schedule))
    ends = [e for e in (open_until(w, local) for w in windows) if e is not None]
    return max(ends) if ends else None
