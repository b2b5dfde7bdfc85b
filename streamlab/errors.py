"""The errors a request can end in before its stream: bad input, and a failure asked for on purpose."""


class InputError(ValueError):
    """A request value that cannot be served; the web layer answers it as 4xx JSON."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


# The statuses whose answer says when to come back: the SDKs wait that long, then retry.
RETRY_AFTER = {429: 1, 503: 1}


class SimulatedFailure(Exception):
    """The fault `fail`: the request is refused with that HTTP status, before any stream byte,
    in the shape of the endpoint's API (StreamLab's own, OpenAI's or Anthropic's)."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.message = f"simulated failure: the request asked for fail={status}"
        self.retry_after = RETRY_AFTER.get(status)
        super().__init__(self.message)
