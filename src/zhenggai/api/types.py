"""Input types every router shares, each validated and documented in the schema alike."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator, Field

#: An id in a query or a body: beyond a 64-bit key it is no row (and no database error).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

#: What Django's forms refuse too: no NUL character (PostgreSQL cannot store one in a text column).
NO_NUL = r"^[^\x00]*$"

#: Text from the client, without NUL characters (validated, and said so in the schema).
Text = Annotated[str, Field(pattern=NO_NUL)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    # As the schema says (``format: date``): not a timestamp ("0") nor a datetime, which
    # pydantic's lax mode would take for a date.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("日期格式应为 YYYY-MM-DD")


#: A date from the client, written ``YYYY-MM-DD``.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
