"""Typed domain errors. Each carries a Chinese `message` ready to show to the user and a
stable `code` for programs (the bot, the actions, the API)."""


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    """The actor's role or ownership does not allow this."""

    code = "forbidden"


class IllegalTransition(DomainError):
    """The request is not in a state where this action applies."""

    code = "illegal_transition"


class AlreadyClaimed(IllegalTransition):
    code = "already_claimed"


class OverLoad(DomainError):
    code = "over_load"


class InvalidInput(DomainError):
    code = "invalid_input"


class TooSoon(DomainError):
    code = "too_soon"


class AddressQuestion(DomainError):
    """The address cannot be resolved without asking the resident; `options` lists
    the candidate building names when the text was ambiguous."""

    code = "address_question"

    def __init__(self, message: str, options: list[str] | None = None) -> None:
        super().__init__(message)
        self.options = options or []
