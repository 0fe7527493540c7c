"""The one exception type for bad input: the CLI turns it into a one-line message and exit 2."""


class UsageError(Exception):
    """Bad input, found by the checks before any work starts (or, for damage that only reading
    reveals, while reading input). `argument` names what the user must fix."""

    def __init__(self, argument: str, message: str):
        message = " ".join(str(message).split())  # one line, even when quoting a library's error
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.message = message
        # Set when found while the work runs (e.g. a corrupt data page), not by the checks before:
        # then other MPI ranks may be waiting for this one.
        self.during_work = False

    def __reduce__(self):
        # Raised inside a worker process, it must arrive whole in the parent.
        return (UsageError, (self.argument, self.message))


def a_kind_of(value) -> str:
    """`an int`, `a str`: a value's type for an error message, with its article."""
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"
