"""Date formats of `poll_resources` entries: parse API dates, format filter values.

A format is one of:

- `iso8601` (the default): any ISO-8601 date or date-time;
- `epoch_seconds` / `epoch_milliseconds`: a number (or numeric string) since 1970 UTC;
- a strftime pattern (it contains `%`): `%Y-%m-%d %H:%M:%S`;
- a Java / SAP Open Connectors pattern: `yyyy-MM-dd'T'HH:mm:ss'Z'`, `MM/dd/yyyy HH:mm`,
  `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` (quoted text is literal, `''` is a quote).

A value without an offset is read in the entry's `timezone` (an IANA name, UTC by default),
the way SAP reads `updatedDateTimezone`. Every parsed value is returned as aware UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from constantcontact_client.timestamps import format_datetime, parse_datetime

ISO8601 = "iso8601"
EPOCH_SECONDS = "epoch_seconds"
EPOCH_MILLISECONDS = "epoch_milliseconds"
NAMED_FORMATS = (ISO8601, EPOCH_SECONDS, EPOCH_MILLISECONDS)

# Java SimpleDateFormat letters (longest run first) -> strptime/strftime directives.
_JAVA_DIRECTIVES: dict[str, str] = {
    "yyyy": "%Y",
    "yy": "%y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%m",
    "dd": "%d",
    "d": "%d",
    "HH": "%H",
    "H": "%H",
    "hh": "%I",
    "h": "%I",
    "mm": "%M",
    "m": "%M",
    "ss": "%S",
    "s": "%S",
    "SSS": "%f",
    "SS": "%f",
    "S": "%f",
    "a": "%p",
    "EEEE": "%A",
    "EEE": "%a",
    "Z": "%z",
    "X": "%z",
    "XX": "%z",
    "XXX": "%z",
    "z": "%Z",
}
_JAVA_TOKEN = re.compile(r"'(?:[^']|'')*'|''|([A-Za-z])\1*|[^A-Za-z']+")
_MILLIS_MARK = "<<milliseconds>>"  # formatting: Java `SSS` is milliseconds, strftime `%f` micro


class DateFormatError(ValueError):
    """A format or timezone that cannot be used; the message says why."""


def java_to_strftime(pattern: str) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss'Z'` -> `%Y-%m-%dT%H:%M:%SZ`.

    Raises:
        DateFormatError: a pattern letter with no strftime equivalent.
    """
    out: list[str] = []
    position = 0
    for match in _JAVA_TOKEN.finditer(pattern):
        if match.start() != position:
            raise DateFormatError(f"unbalanced quote in pattern {pattern!r}")
        token = match.group(0)
        position = match.end()
        if token == "''":  # noqa: S105 - an escaped quote, not a password
            out.append("'")
        elif token.startswith("'"):
            out.append(token[1:-1].replace("''", "'").replace("%", "%%"))
        elif token[0].isalpha():
            directive = _JAVA_DIRECTIVES.get(token)
            if directive is None:
                raise DateFormatError(
                    f"pattern letter {token!r} is not supported (use y M d H h m s S a E Z X z)"
                )
            out.append(directive)
        else:
            out.append(token.replace("%", "%%"))
    if position != len(pattern):
        raise DateFormatError(f"unbalanced quote in pattern {pattern!r}")
    return "".join(out)


def _zone(name: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DateFormatError(
            f"{name!r} is not an IANA time zone name (e.g. UTC, Europe/Paris)"
        ) from None


@dataclass(frozen=True, slots=True)
class DateFormat:
    """A validated format and time zone: parses API values, formats filter values."""

    spec: str
    timezone: dt.tzinfo
    strftime: str | None  # None for the named formats

    @classmethod
    def of(cls, spec: str | None, timezone: str | None = None) -> DateFormat:
        """Validate `spec` (default ISO-8601) and `timezone` (default UTC).

        Raises:
            DateFormatError: the format or the time zone is not usable.
        """
        spec = (spec or ISO8601).strip()
        zone = _zone(timezone or "UTC")
        if spec.lower() in NAMED_FORMATS:
            return cls(spec.lower(), zone, None)
        pattern = spec if "%" in spec else java_to_strftime(spec)
        if not re.search(r"%[Yyd]", pattern):
            raise DateFormatError(f"{spec!r} has no year or day: not a date format")
        return cls(spec, zone, pattern)

    def parse(self, value: object) -> dt.datetime | None:
        """An API value as aware UTC; None for null or an empty string.

        Raises:
            ValueError: the value does not match the format.
            TypeError: the value is neither a string nor a number.
        """
        if value is None or value == "":
            return None
        if self.spec in (EPOCH_SECONDS, EPOCH_MILLISECONDS):
            if isinstance(value, bool):
                raise ValueError(f"{value!r} is not a number")
            number = float(value)  # type: ignore[arg-type]
            if self.spec == EPOCH_MILLISECONDS:
                number /= 1000
            return dt.datetime.fromtimestamp(number, dt.UTC)
        if not isinstance(value, str):
            raise TypeError(f"{value!r} is not a string")
        if self.strftime is None:
            return parse_datetime(value, self.timezone)
        parsed = dt.datetime.strptime(value.strip(), self.strftime)  # zone: below
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.timezone)
        return parsed.astimezone(dt.UTC)

    def format(self, value: dt.datetime) -> str:
        """`value` as this format writes it, in the entry's time zone (for query filters)."""
        if self.spec == EPOCH_SECONDS:
            return str(int(value.timestamp()))
        if self.spec == EPOCH_MILLISECONDS:
            return str(int(value.timestamp() * 1000))
        if self.strftime is None:
            return format_datetime(value)
        local = value.astimezone(self.timezone)
        pattern = self.strftime
        if "%f" in pattern and "%" not in self.spec:  # Java `S`: milliseconds
            pattern = pattern.replace("%f", _MILLIS_MARK)
            return local.strftime(pattern).replace(_MILLIS_MARK, f"{local.microsecond // 1000:03d}")
        return local.strftime(pattern)


_STEPS = tuple(
    dt.timedelta(**{unit: 1}) for unit in ("milliseconds", "seconds", "minutes", "hours", "days")
)
_REFERENCE = dt.datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)


def precision(date_format: DateFormat) -> dt.timedelta:
    """The smallest change of a moment its filter values show: a millisecond for ISO-8601,
    a second for `epoch_seconds`, a day for `yyyy-MM-dd`."""
    text = date_format.format(_REFERENCE)
    for step in _STEPS:
        if date_format.format(_REFERENCE + step) != text:
            return step
    return _STEPS[-1]


def format_upper_bound(date_format: DateFormat, value: dt.datetime) -> str:
    """`value` formatted, rounded *up* to the format's precision.

    An exclusive upper bound cut down to whole seconds would leave the last fraction of a
    second to the next run for no reason; rounded up, the API returns it now and the
    client-side window check keeps what is before `value`.
    """
    text = date_format.format(value)
    for step in _STEPS:
        parsed = date_format.parse(text)
        if parsed is not None and parsed >= value:
            return text
        text = date_format.format(value + step)
    return text
