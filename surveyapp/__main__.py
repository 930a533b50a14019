"""``python -m surveyapp`` and the ``surveyapp`` console script: ``flask --app surveyapp``.

Here rather than in :mod:`surveyapp.cli`, whose commands sit below the app factory (see
docs/architecture.md): the factory builds the whole app, web included.
"""

from __future__ import annotations

from flask.cli import FlaskGroup

from surveyapp import create_app


def main() -> None:
    FlaskGroup(create_app=create_app)(prog_name="surveyapp")


if __name__ == "__main__":
    main()
