"""The one error a client can cause: bad input, named by the field it arrived in."""


class InputError(ValueError):
    """A request value that cannot be served; the web layer answers it as 4xx JSON."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status
