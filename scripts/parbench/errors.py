"""The one exception type for bad input: the CLI turns it into a one-line message and exit 2."""


class UsageError(Exception):
    """Bad input, found before any work starts. `argument` names what the user must fix."""

    def __init__(self, argument: str, message: str):
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.message = message
