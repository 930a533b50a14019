"""Early-help leads: build, open, invite, watch, close and publish survey rounds.

One blueprint (``rounds``), its views in a module per page group: :mod:`.building` (round list,
form, page, lifecycle, preview), :mod:`.comments`, :mod:`.invitations`, :mod:`.participants`,
:mod:`.links`, :mod:`.status`, :mod:`.publishing`, :mod:`.quotes`. Each view parses its form,
calls one service, commits once and redirects; a :class:`~surveyapp.services.ServiceError` is
shown next to its field with a 400 and nothing saved.
"""

from surveyapp.web.rounds import (  # noqa: F401
    building,
    comments,
    invitations,
    links,
    participants,
    publishing,
    quotes,
    status,
)
from surveyapp.web.rounds.blueprint import bp, open_link_url

__all__ = ["bp", "open_link_url"]
