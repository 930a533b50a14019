"""State changes with their rules. Services flush, never commit: the caller commits once."""


class ServiceError(ValueError):
    """A rule was broken; the message is written for the person who asked."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
