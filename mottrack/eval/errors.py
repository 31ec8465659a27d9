"""The evaluator's input errors: bad data or options, as opposed to bugs."""
from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """The data or options given cannot be evaluated (the message says why and where).

    The CLI prints it as one line and exits with status 2; any other exception is a bug
    and is shown with its traceback.
    """
