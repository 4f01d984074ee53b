"""The error type for bad user input, and how tools print it.

Everything a user can get wrong (a path, an option, a data file) raises
:class:`InputError` with one line that names the offending thing. Tools catch
it and print that line alone, with exit code 2, instead of a traceback.
"""
import difflib
import re
from typing import Iterable, List

__all__ = ['InputError', 'one_line_error', 'closest', 'did_you_mean']


class InputError(ValueError):
    """Bad user input: a missing or malformed file, option or argument."""


_WRAPPED = re.compile(r'InputError: (.+)$')


def one_line_error(exc: BaseException) -> str:
    """The user-facing line of ``exc``.

    A DataLoader worker re-raises an exception with the worker's traceback as
    its message; the original one-line message is its last line.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    match = _WRAPPED.search(lines[-1])
    return match.group(1) if match else lines[0]


def closest(name: str, options: Iterable, n: int = 1, cutoff: float = 0.6) -> List[str]:
    """Up to ``n`` of ``options`` most like ``name`` (ignoring case), best first."""
    by_lower = {str(option).lower(): option for option in options}
    matches = difflib.get_close_matches(str(name).lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[match] for match in matches]


def did_you_mean(name: str, options: Iterable) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or ''."""
    match = closest(name, options)
    return f" (did you mean '{match[0]}'?)" if match else ''
