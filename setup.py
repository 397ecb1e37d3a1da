"""Build hook: ship the card templates of the top-level `model_cards/` folder inside the wheel as
package data of `hf_transfer` (`hf_transfer/model_cards/*.md`), keeping one source copy.

Everything else (metadata, packages) is in pyproject.toml. The templates are added to
`build_py`'s package-data list, so the wheel, the sdist (which takes its files from the same
list) and strict editable installs (which link them) all get them; `hf_transfer.cards` reads
them with `importlib.resources` and falls back to `model_cards/` for source and editable use.
"""

import os
from glob import glob

from setuptools import setup
from setuptools.command.build_py import build_py


TEMPLATE_DIR = "model_cards"  # source folder, relative to the project root
TEMPLATE_PACKAGE_DIR = ("hf_transfer", "model_cards")  # where they go inside the wheel


class build_py_with_model_cards(build_py):
    """`build_py` that also maps `model_cards/*.md` to `hf_transfer/model_cards/`."""

    def _model_cards(self):
        names = sorted(os.path.basename(p) for p in glob(os.path.join(TEMPLATE_DIR, "*.md")))
        if not names:
            raise FileNotFoundError(f"no card templates found in {os.path.abspath(TEMPLATE_DIR)}")
        return (".".join(TEMPLATE_PACKAGE_DIR), TEMPLATE_DIR, os.path.join(self.build_lib, *TEMPLATE_PACKAGE_DIR), names)

    def _get_data_files(self):
        return super()._get_data_files() + [self._model_cards()]

    def get_data_files_without_manifest(self):
        return super().get_data_files_without_manifest() + [self._model_cards()]


setup(cmdclass={"build_py": build_py_with_model_cards})
