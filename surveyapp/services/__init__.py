"""State changes with their rules. Services flush, never commit: the caller commits once."""


class ServiceError(ValueError):
    """A rule was broken; the message is written for the person who asked."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ServiceErrors(ServiceError):
    """Several rules broken at once, so a form can show every problem in one go."""

    def __init__(self, errors: list[ServiceError]) -> None:
        super().__init__("; ".join(e.message for e in errors), errors[0].field if errors else None)
        self.errors = errors


class Problems:
    """Collects the :class:`ServiceError` of each check instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[ServiceError] = []

    def add(self, message: str, field: str | None = None) -> None:
        self.errors.append(ServiceError(message, field))

    def collect(self, exc: ServiceError) -> None:
        self.errors.extend(exc.errors if isinstance(exc, ServiceErrors) else [exc])

    def raise_any(self) -> None:
        """Raise the one error, or all of them together; do nothing when there are none."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ServiceErrors(list(self.errors))
