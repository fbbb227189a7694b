"""`make demo`: the main job on embedded defaults, in a temporary directory.

A district with its server on 127.0.0.1 (HTTPS, self-signed certificate pinned by
the workers), two workers enrolled online, a case assigned to both, follow-ups
recorded offline, a real sync, a concurrent edit shown as a conflict and resolved,
and a printed case summary; then the server stops and the directory is removed.
Every step runs the real `fieldkit` command, printed before it runs.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.text import Text

from fieldkit.display import make_console
from fieldkit.i18n import t

DEMO_PASSPHRASE = "démonstration du coffre fieldkit"


class Demo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = dict(os.environ, FIELDKIT_PASSPHRASE=DEMO_PASSPHRASE, COLUMNS="100")
        self.env.pop("FIELDKIT_SESSION", None)
        self.sessions: dict[str, str] = {}
        self.console = make_console()

    def say(self, key: str, **params: object) -> None:
        self.console.print(Text.assemble("\n", (f"== {t(key, **params)}", "bold")))

    def run(self, home: str, *args: str, capture: bool = False, check: bool = True) -> str:
        command = ["fieldkit", "--home", str(self.root / home), *args]
        shown = [a if len(a) <= 72 else a[:24] + "…" for a in command[:1] + command[3:]]
        print("$ " + " ".join(shlex.quote(a) for a in shown), flush=True)
        env = dict(self.env)
        if home in self.sessions:
            env["FIELDKIT_SESSION"] = self.sessions[home]
        result = subprocess.run(
            [sys.executable, "-m", "fieldkit", *command[1:]],
            env=env,
            text=True,
            capture_output=capture,
        )
        if check and result.returncode != 0:
            if capture:
                sys.stderr.write(result.stderr)
            raise SystemExit(t("demo.failed", code=result.returncode))
        return result.stdout if capture else ""

    def unlock(self, home: str) -> None:
        out = self.run(home, "unlock", "--json", capture=True)
        self.sessions[home] = json.loads(out)["session"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(t("demo.server_failed"))


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fieldkit-demo-") as tmp:
        root = Path(tmp)
        demo = Demo(root)
        port = free_port()
        url = f"https://127.0.0.1:{port}"

        demo.say("demo.step.district")
        demo.run(
            "district",
            "district",
            "init",
            "--name",
            "District de démonstration",
            "--url",
            url,
            "--self-signed",
            # Beside the homes, in the demo's folder that is deleted at the end.
            "--recovery-sheet",
            str(root / "recovery-sheet-1.pdf"),
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fieldkit",
                "--home",
                str(root / "district"),
                "district",
                "serve",
                "--port",
                str(port),
                "--log-file",
                str(root / "server.log"),
            ],
            env=demo.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port)
            workers = {}
            for home, name in (("lea", "Léa Martin"), ("karim", "Karim Benali")):
                out = demo.run(
                    "district",
                    "district",
                    "worker",
                    "add",
                    "--name",
                    name,
                    "--unit",
                    "UT Nord",
                    "--json",
                    capture=True,
                )
                workers[home] = json.loads(out)

            demo.say("demo.step.workers")
            for home in ("lea", "karim"):
                demo.run(home, "init")
                demo.unlock(home)
                code = workers[home]["enrolment_code"]
                demo.run(home, "enrol", code, "--server", url)

            demo.say("demo.step.cases")
            out = demo.run(
                "district",
                "district",
                "case",
                "add",
                "--name",
                "Amélie D.",
                "--unit",
                "UT Nord",
                "--birth-year",
                "2008",
                "--referral-source",
                "Éducation nationale",
                "--referral-detail",
                "collège Jean-Moulin",
                "--reason",
                "Propos de rupture signalés par l'établissement",
                "--priority",
                "high",
                "--json",
                capture=True,
            )
            reference = json.loads(out)["reference"]
            demo.run(
                "district", "district", "case", "assign", reference, workers["lea"]["id"], "--lead"
            )
            demo.run("district", "district", "case", "assign", reference, workers["karim"]["id"])
            for home in ("lea", "karim"):
                demo.run(home, "sync")

            demo.say("demo.step.offline")
            demo.run(
                "lea",
                "followup",
                "add",
                reference,
                "--kind",
                "home-visit",
                "--date",
                "-2d",
                "--summary",
                "Visite à domicile avec la mère ; climat apaisé, Amélie accepte un suivi éducatif.",
                "--next-contact",
                "+7d",
            )
            demo.run(
                "karim",
                "followup",
                "add",
                reference,
                "--kind",
                "partner-referral",
                "--referral-to",
                "psychological-care",
                "--partner",
                "CMP Nord",
                "--summary",
                "Orientation vers le CMP, premier rendez-vous pris.",
            )
            demo.run(
                "karim",
                "followup",
                "add",
                reference,
                "--kind",
                "concern",
                "--concern-level",
                "medium",
                "--summary",
                "Absences répétées au lycée cette semaine.",
            )
            demo.run(
                "lea",
                "case",
                "update",
                reference,
                "--situation",
                "Scolarité reprise, lien familial à consolider.",
                "--goal",
                "Maintenir la scolarité",
                "--goal",
                "Soin psychologique régulier",
                "--next-review",
                "+30d",
            )
            demo.run(
                "karim",
                "case",
                "update",
                reference,
                "--situation",
                "Absences en hausse ; rendez-vous CMP à confirmer.",
            )
            demo.run("lea", "status")

            demo.say("demo.step.sync")
            for home in ("lea", "karim", "lea"):
                demo.run(home, "sync")

            demo.say("demo.step.conflict")
            demo.run("lea", "conflicts", "list")
            out = demo.run("lea", "conflicts", "list", "--json", capture=True)
            conflict = json.loads(out)[0]["id"]
            demo.run(
                "lea",
                "conflicts",
                "resolve",
                conflict[:8],
                "--yes",
                "--text",
                "Scolarité reprise mais absences en hausse ; rendez-vous CMP à confirmer.",
            )
            for home in ("lea", "karim"):
                demo.run(home, "sync")
            demo.run("karim", "conflicts", "list")
            demo.run("district", "district", "case", "list")

            demo.say("demo.step.meeting")
            out = demo.run(
                "district",
                "district",
                "meeting",
                "new",
                "+7d",
                "--kind",
                "restricted",
                "--json",
                capture=True,
            )
            meeting = json.loads(out)["reference"]
            demo.run("district", "district", "meeting", "agenda", meeting)
            demo.run(
                "district",
                "district",
                "meeting",
                "decide",
                meeting,
                reference,
                "--measure",
                "Consultation au CMP",
                "--measure",
                "Accompagnement vers la mission locale",
                "--referent",
                "CMP Nord",
                "--next-review",
                "+60d",
            )
            demo.run("lea", "sync")
            demo.run("lea", "case", "measure", reference, "1", "--state", "en cours")
            demo.run("lea", "sync")
            demo.run("district", "district", "meeting", "close", meeting)

            demo.say("demo.step.summary")
            demo.run("lea", "case", "summary", reference)
            pdf = root / f"{reference}.pdf"
            demo.run("lea", "case", "summary", reference, "--format", "pdf", "-o", str(pdf))
            print(t("demo.pdf", path=pdf.name, size=pdf.stat().st_size), flush=True)
            demo.run("lea", "audit", "verify")
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        demo.say("demo.done", seconds=round(time.monotonic() - started))


if __name__ == "__main__":
    main()
