"""Who an id stands for, in the words of a screen or a summary: one lookup for all of them.

Records name people by id: a follow-up's `recorded_by`, an amendment's or a change's
`author` (a worker id, `wk-…`, or `district`), an audit event's actor (the same, or a
device's replica id before it is enrolled). A person reads names: every screen and every
summary asks `Names.of`, which gives the name, marks a revoked worker, says « intervenant
inconnu » for a worker the device does not know (never the raw id), and adds the id only
when asked to (`--debug`). `--json` keeps the ids.

What a device knows is the case records' assignees (with their names), itself, and the
workers the district names in its sync replies (`workers`, docs/protocol.md): the teams
of its cases and the authors on them, with their revocation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fieldkit.i18n import t
from fieldkit.model import Case, KnownWorker

# The author of the changes the district writes (docs/protocol.md, "Changes").
DISTRICT = "district"


class Names:
    """Worker id -> the name a reader knows them by.

    `known` gives names (and revocations); `device` is this device's replica id, the
    actor of what it did before it was enrolled; `debug` shows each id beside its name.
    """

    def __init__(
        self,
        known: Iterable[KnownWorker] | Mapping[str, str] = (),
        *,
        device: str | None = None,
        debug: bool = False,
    ) -> None:
        self._known: dict[str, KnownWorker] = {}
        self.add(known)
        self._device = device
        self._debug = debug

    def add(self, known: Iterable[KnownWorker] | Mapping[str, str]) -> Names:
        """These names too (a name given later replaces an earlier one); returns self."""
        if isinstance(known, Mapping):
            known = [KnownWorker(id=k, name=v) for k, v in known.items()]
        for person in known:
            if person.name:
                self._known[person.id] = person
        return self

    def with_case(self, case: Case) -> Names:
        """The names the case record holds for its assignees, where no better one is known."""
        return self.fill({a.id: a.name for a in case.assignees})

    def fill(self, names: Mapping[str, str]) -> Names:
        """These names, for the ids no name is known for yet; returns self."""
        return self.add({k: v for k, v in names.items() if k not in self._known})

    def known(self, worker_id: str) -> bool:
        return worker_id in self._known

    def revoked(self, worker_id: str) -> bool:
        person = self._known.get(worker_id)
        return person is not None and person.revoked

    def of(self, worker_id: str | None) -> str:
        """The name to show for `worker_id`: never a raw id, except beside it with --debug."""
        if not worker_id:
            return ""
        person = self._known.get(worker_id)
        if person is not None:
            shown = person.name
            if person.revoked:
                shown = t("names.revoked", name=shown)
        elif worker_id == DISTRICT:
            shown = t("names.district")
        elif worker_id == self._device:
            shown = t("names.this_device")
        else:
            shown = t("names.unknown")
        if self._debug and worker_id != DISTRICT:
            return t("names.with_id", name=shown, id=worker_id)
        return shown
