"""A worker's first day, as the guides and the terminal sessions play it.

`DayWorld` is a district served by a real `district serve` over HTTPS on 127.0.0.1, a
worker, Léa Martin, with her enrolment code in hand and no store yet, and a colleague,
Karim Benali, already enrolled and synced. The district has opened two cases, both
assigned to Léa: « Amélie Durand » (Karim is on it too) and « Hélène Petit ».

`env` is the environment a shell of Léa's runs with: her home, the language, the
passphrase for the commands that read it there, and `fieldkit` on the PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from fieldkit.district import decisions
from fieldkit.district.store import DistrictStore
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Net
from tests.world import Fieldkit, credentials


class DayWorld:
    def __init__(self, root: Path, language: str) -> None:
        self.net = Net(root, Fieldkit())
        self.net.server.start()
        try:
            self.net.enrol("b")
            self.durand = self.net.new_case("Amélie Durand", "a", "b")
            self.petit = self.net.new_case("Hélène Petit", "a")
            self.net.sync("b")
        except BaseException:
            self.net.server.stop()
            raise
        self.home = self.net.homes["a"]
        self.code = self.net.codes["a"]
        shutil.rmtree(self.home)  # Léa's store is made by her own `fieldkit init`
        self.env = dict(
            os.environ,
            FIELDKIT_HOME=str(self.home),
            FIELDKIT_LANG=language,
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        )
        self.env.pop("FIELDKIT_SESSION", None)
        self.env.pop("FIELDKIT_PASSPHRASE", None)

    def stop(self) -> None:
        self.net.server.stop()

    def json(self, *args: str, env: dict[str, str] | None = None) -> Any:
        """`fieldkit ARGS --json` in Léa's store, outside any terminal."""
        run_env = dict(env or self.env, FIELDKIT_PASSPHRASE=PASSPHRASE)
        done = subprocess.run(
            ["fieldkit", *args, "--json"], env=run_env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def last_followup(self, env: dict[str, str] | None = None) -> str:
        """The short id (as `followup list` shows it) of the follow-up recorded last."""
        items = self.json("followup", "list", env=env)
        return max(items, key=lambda f: f["hlc"])["id"][:8]

    def group_decides(self) -> None:
        """The district records the group's decision on Durand (two measures, a référent,
        a note), as `district meeting decide` does. No next review: Léa changed hers
        before this sync, which would make a second conflict for the guide's next step."""
        with DistrictStore.open(self.net.district_home, credentials()) as district:
            decisions.record(
                district.conn,
                self.durand,
                meeting_id=None,
                meeting_date=date.today(),
                measures=["Consultation au CMP", "Reprise de la scolarité"],
                referent="Maison des adolescents",
                next_review=None,
                status=None,
                reason=None,
                note_for_team="Associer la mère aux entretiens.",
            )

    def colleague_changes_situation(self) -> None:
        """Karim writes Durand's situation and syncs, while Léa's own change waits."""
        net = self.net
        net.fk.ok(net.homes["b"], "case", "update", self.durand, "--situation", "Point de Karim.")
        net.sync("b")
