"""The "about you" answers a response keeps in columns of its own: role level and training.

Their values and labels are written here only. An instrument's choice question with the same id
takes its choices from here when its file lists none; the response columns' CHECK constraints,
the CSV import and the report's groups all read them from here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class RoleLevel(enum.StrEnum):
    FRONTLINE = "frontline"
    MANAGER = "manager"


class Training(enum.StrEnum):
    YES = "yes"
    NO = "no"
    NOT_SURE = "not_sure"


ROLE_LEVEL_LABELS: Mapping[str, str] = {
    RoleLevel.FRONTLINE.value: "Frontline practitioner",
    RoleLevel.MANAGER.value: "Supervisor or manager",
}
TRAINING_LABELS: Mapping[str, str] = {
    Training.YES.value: "Yes",
    Training.NO.value: "No",
    Training.NOT_SURE.value: "Not sure",
}
#: Question id -> {stored value: label}, for each about-you answer a response keeps.
STORED_ABOUT: Mapping[str, Mapping[str, str]] = {
    "role_level": ROLE_LEVEL_LABELS,
    "training": TRAINING_LABELS,
}
