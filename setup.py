"""The build step pyproject.toml cannot say: the message catalogues are compiled (.po -> .mo)
as the package is built, so that a wheel, and an editable install, carry the French.
`make catalogues` does the same in a checkout (see fieldkit/i18n.py)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).parent / "fieldkit" / "locale"


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
            language = po.parent.parent.name
            with po.open("rb") as source:
                catalog = read_po(source, locale=language, domain=po.stem)
            with po.with_suffix(".mo").open("wb") as compiled:
                write_mo(compiled, catalog)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
