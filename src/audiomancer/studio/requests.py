"""Reading the JSON bodies and query values the page sends, with errors in words."""

from __future__ import annotations

import json
import math
from typing import Any, Final

from starlette.requests import Request

MAX_BODY: Final = 64 * 1024
"""The page sends small JSON objects; anything larger is refused."""


class BadRequest(ValueError):
    """The request itself is malformed (not JSON, a value of the wrong type)."""


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (an empty body is an empty object)."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"request body of {len(raw)} bytes is too large (at most {MAX_BODY})")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadRequest(f"request body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"request body must be a JSON object, not {type(data).__name__}")
    return data


def integer(data: dict[str, Any], name: str, default: int | None = None) -> int | None:
    """An optional whole number (JSON null or absent: the default)."""
    value = data.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise BadRequest(
                f"invalid {name} {data.get(name)!r}: expected a whole number"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"invalid {name} {value!r}: expected a whole number")
    return value


def required_integer(data: dict[str, Any], name: str) -> int:
    value = integer(data, name)
    if value is None:
        raise BadRequest(f"missing {name}")
    return value


def number(data: dict[str, Any], name: str, default: float) -> float:
    """A number (absent or null: the default)."""
    value = data.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise BadRequest(f"invalid {name} {data.get(name)!r}: expected a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"invalid {name} {value!r}: expected a number")
    return float(value)


def text(data: dict[str, Any], name: str, default: str | None = None) -> str | None:
    """An optional string (absent or null: the default)."""
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"invalid {name} {value!r}: expected text")
    return value


def required_text(data: dict[str, Any], name: str) -> str:
    value = text(data, name)
    if value is None or not value.strip():
        raise BadRequest(f"missing {name}")
    return value


def string_list(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"invalid {name} {value!r}: expected a list of ids")
    return value
