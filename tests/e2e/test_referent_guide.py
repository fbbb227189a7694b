"""Every example of the District Officer's guide (docs/guide-referent.md) runs, in order.

The guide's ```sh blocks are the District Officer's shell on the préfecture's machine:
they open the district, declare the units and the charter, enrol Léa Martin, open and
assign a case, prepare a meeting, record the decision, print and close the minutes.
What happens on Léa's laptop meanwhile is done by the hooks named in the guide
(`<!-- test: NAME -->`): she enrols with the code the previous block printed, accepting
the charter, works and syncs, and moves a measure on. All of it through the real CLI
and a real `district serve` over HTTPS on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Server, free_port
from tests.e2e.guides import ENGLISH_WORDS, WORKER_ID, examples

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide-referent.md"
BASH_TIMEOUT = 120
CODE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){7}\b")
CHARTERS = {
    "charte-2026.md": "# Charte de confidentialité\n\nJe garde le secret partagé.\n",
    "charte-2027.md": "# Charte de confidentialité\n\nJe garde le secret partagé, et"
    " je ne recopie rien hors de fieldkit.\n",
}
PERSON = "Zoé Durand"


class ReferentWorld:
    """The District Officer's shell and Léa's laptop, with the district's server."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.desk = root / "bureau"  # the officer's working folder: sheets, minutes
        self.desk.mkdir()
        self.district_home = root / "district"
        self.lea_home = root / "lea"
        self.server = Server(self.district_home, free_port())
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        base = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
        self.env = dict(
            base,
            FIELDKIT_HOME=str(self.district_home),
            FIELDKIT_LANG="fr",
            FIELDKIT_PASSPHRASE=PASSPHRASE,
            FIELDKIT_NEW_PASSPHRASE=PASSPHRASE,
            PATH=path,
        )
        self.lea_env = dict(self.env, FIELDKIT_HOME=str(self.lea_home))
        self.last_out = ""

    def run(self, body: str) -> tuple[int, str, str]:
        body = body.replace("‹adresse›", self.server.url)
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", body],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=BASH_TIMEOUT,
            cwd=self.desk,
        )
        self.last_out = done.stdout
        return done.returncode, done.stdout, done.stderr

    def district(self, *args: str):
        return self._json(self.env, "district", *args)

    def lea(self, *args: str):
        return self._json(self.lea_env, *args)

    def _json(self, env: dict[str, str], *args: str):
        done = subprocess.run(
            ["fieldkit", *args, "--json"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (args, done.stderr)
        return json.loads(done.stdout)

    # The hooks: what happens elsewhere at that point of the guide.

    def server_starts(self) -> None:
        self.server.start()

    def charters_written(self) -> None:
        for name, text in CHARTERS.items():
            (self.desk / name).write_text(text, encoding="utf-8")

    def lea_enrols(self) -> None:
        """Léa, on her laptop, with the sheet the previous block printed."""
        (code,) = set(CODE.findall(self.last_out))
        charter = self.district("charter", "show")["charter"]["sha256"]
        self._json(self.lea_env, "init")
        done = self.lea("enrol", code, "--server", self.server.url, "--accept-charter", charter)
        assert done["status"] == "enrolled", done

    def lea_works(self) -> None:
        """Léa syncs, sees her case, records an interview and a high concern, syncs."""
        self.lea("sync")
        (case,) = self.lea("case", "list")
        for kind, extra in (
            ("interview", ["--attendance", "kept"]),
            ("concern", ["--concern-level", "high"]),
        ):
            self.lea(
                "followup", "add", case["reference"], "--kind", kind, "--summary", "Noté.", *extra
            )
        self.lea("sync")

    def lea_moves_the_measure(self) -> None:
        self.lea("sync")
        self.lea("case", "measure", "CO-2026-0001", "1", "--state", "en cours")
        self.lea("sync")


HOOKS: dict[str, Callable[[ReferentWorld], None]] = {
    "le-serveur-demarre": ReferentWorld.server_starts,
    "la-charte-est-ecrite": ReferentWorld.charters_written,
    "lea-s-inscrit": ReferentWorld.lea_enrols,
    "lea-travaille": ReferentWorld.lea_works,
    "lea-fait-avancer-la-mesure": ReferentWorld.lea_moves_the_measure,
}


def test_every_example_of_the_referents_guide_runs(tmp_path: Path) -> None:
    world = ReferentWorld(tmp_path)
    try:
        blocks = examples(GUIDE.read_text(encoding="utf-8"))
        assert len(blocks) > 10
        for example in blocks:
            if example.hook:
                HOOKS[example.hook](world)
            code, out, err = world.run(example.body)
            where = f"example {example.number}:\n{example.body}\nstdout:\n{out}\nstderr:\n{err}"
            assert code == example.expected_code, where
            assert "Traceback" not in out + err, where
            assert not ENGLISH_WORDS.search(out + err), where
            assert not WORKER_ID.search(err), where

        # What the guide says it did, it did.
        case = world.district("case", "show", "CO-2026-0001")
        assert case["unit"] == "UT Nord"
        (decided, amended) = case["decisions"]
        assert [m["state"] for m in decided["measures"]] == ["under_way", "planned"]
        assert [m["text"] for m in amended["measures"]] == ["Bilan avec la famille"]
        lea_case = world.lea("case", "show", "CO-2026-0001")
        assert lea_case["decisions"][0]["note_for_team"] == "Associer la mère aux entretiens."
        workers = world.district("worker", "list")
        assert [w["charter"]["pending"] for w in workers] == [True]

        minutes = world.desk / "compte-rendu-2027-01.pdf"
        assert minutes.stat().st_mode & 0o077 == 0
        text = subprocess.run(
            ["pdftotext", "-layout", str(minutes), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "CO-2026-0001" in text and "Sophie Lambert" in text
        assert PERSON not in text and "Durand" not in text
        pages = text.split("\f")
        assert all("CONFIDENTIEL" in page for page in pages if page.strip())
    finally:
        world.server.stop()
