"""The built distribution ships the card templates: build an sdist and a wheel from it (what
`python -m build` does) from a copy of the project, install the wheel into a fresh virtual
environment where the repository's editable install cannot shadow it, and write a card from each
template with the installed package."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
import yaml


ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "model_cards").glob("*.md"))
METRICS = {"accuracy": 87.654321, "macro_f1": 81.2345}
# What a copy of the project needs no more than the repository's own scratch and build outputs.
JUNK = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", "*.whl", "*.tmp",
                              ".pytest_cache", ".benchmarks", ".cache", "runs", "outputs", "logs", ".venv", "venv")

CHECK = r"""
import json, sys
from pathlib import Path
import hf_transfer
from hf_transfer import cards

out, names = Path(sys.argv[1]), sys.argv[2:]
metrics = json.loads(sys.stdin.read())
result = {"file": hf_transfer.__file__, "cards": {}, "found": {}}
for name in names:
    path = cards.write_model_card(out / name, model_name="card-" + name, family="family-x", task="text-classification",
                                  metrics=metrics, dataset="snips", template=name)
    result["cards"][name] = path.read_text(encoding="utf-8")
    result["found"][name] = str(cards.find_template(name))
try:
    cards.write_model_card(out / "missing", model_name="m", family="f", task="t", metrics=metrics, dataset="d",
                           template="no-such-template.md")
except FileNotFoundError as e:
    result["missing"] = str(e)
print(json.dumps(result))
"""


def own_lines(template: Path) -> list[str]:
    """The template's lines that survive rendering verbatim (no placeholder) and that no other
    template has: its own text. (The templates share their headings.)"""
    others = set()
    for other in TEMPLATES:
        if other != template:
            others.update(line.strip() for line in other.read_text(encoding="utf-8").splitlines())
    lines = (line.strip() for line in template.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and "{" not in line and "}" not in line and line not in others]


def run(cmd, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INDEX="1", OMP_NUM_THREADS="1")
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, env=env, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.slow
def test_wheel_ships_the_card_templates(tmp_path):
    pytest.importorskip("setuptools", reason="building the wheel without build isolation needs setuptools")
    assert len(TEMPLATES) >= 3, TEMPLATES
    src, dist = tmp_path / "src", tmp_path / "dist"
    shutil.copytree(ROOT, src, ignore=JUNK)

    # sdist, then the wheel from the sdist: the sdist must carry model_cards/ for the wheel to.
    build_sdist = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    sdist = dist / run([sys.executable, "-c", build_sdist, dist], cwd=src).strip().splitlines()[-1]
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, sdist], cwd=tmp_path)
    (wheel,) = dist.glob("hf_transfer_learning-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for template in TEMPLATES:
        assert f"hf_transfer/model_cards/{template.name}" in names, names
    assert not [n for n in names if n.startswith("model_cards/")], "templates must ship inside the package"

    # A fresh venv that sees this interpreter's packages (torch, transformers, ...) but gets the wheel
    # installed into its own site-packages, which comes first on sys.path. The repository's editable
    # install is a meta-path finder appended after the path finder, so it cannot shadow the wheel.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False, symlinks=os.name != "nt")
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip())
    # When the tests themselves run in a virtual environment, --system-site-packages would only reach
    # the base interpreter's packages: add this environment's site-packages after the venv's own.
    outer = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (purelib / "_outer_environment.pth").write_text("".join(f"{p}\n" for p in outer))
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", wheel], cwd=tmp_path)

    out = tmp_path / "cards"
    stdout = run([python, "-c", CHECK, out, *(t.name for t in TEMPLATES)], cwd=tmp_path, input=json.dumps(METRICS))
    result = json.loads(stdout.strip().splitlines()[-1])
    assert Path(result["file"]).resolve().is_relative_to(env_dir.resolve()), result["file"]

    for template in TEMPLATES:
        found = Path(result["found"][template.name]).resolve()
        assert found.is_relative_to(purelib.resolve()) and found.parent.name == "model_cards", found
        card = result["cards"][template.name]
        meta = yaml.safe_load(card.split("---")[1])
        body = card.split("---\n", 2)[2]
        assert body.lstrip().startswith(f"# card-{template.name}\n"), body[:200]
        lines = own_lines(template)
        assert len(lines) >= 3, (template.name, lines)
        missing = [line for line in lines if line not in card]
        assert not missing, f"{template.name}: the card lacks the template's own text {missing}"
        assert "| accuracy | 87.6543 |" in card and "| macro_f1 | 81.2345 |" in card, card  # 4 decimals at most, never .2f
        values = {m["name"]: m["value"] for result in meta["model-index"][0]["results"] for m in result["metrics"]}
        assert values == {"accuracy": 87.6543, "macro_f1": 81.2345}, values

    assert "'no-such-template.md' not found" in result["missing"] and str(purelib / "hf_transfer" / "model_cards") in result["missing"]
    assert not (out / "missing" / "README.md").exists()
