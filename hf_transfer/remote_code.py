"""Remote code: a saved model that loads with `trust_remote_code=True` where `hf_transfer` is not
installed.

transformers copies only the file named in `config.json`'s `auto_map` and its same-folder
relative imports, so `bundle_source(model_class)` generates ONE self-contained file from the
library's own modules (the single source of truth): the modules the model class needs at import
time, in dependency order, with their imports of each other removed (the names are then defined
in the same file) and `from __future__` lines hoisted. `save_remote_code(model, directory)` writes
it as `modeling_hf_transfer.py` and points `auto_map` at it.

Pipelines travel the same way: the pipeline classes of the tasks the model serves
(`hf_transfer.pipelines.pipeline_tasks`: `"joint-intent-slot"`, `"few-shot-classification"`,
`"word-tagging"`) are bundled into the same file and named in `config.json`'s
`custom_pipelines` (`{task: {"impl": "modeling_hf_transfer.<Pipeline>", "pt": [<Auto class>],
"type": "text"}}`), which is where `transformers.pipeline(task, model=dir_or_repo,
trust_remote_code=True)` looks for a task it does not know.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path


__all__ = ["REMOTE_CODE_FILE", "bundle_source", "save_remote_code"]

REMOTE_CODE_FILE = "modeling_hf_transfer.py"
PACKAGE = "hf_transfer"
PACKAGE_DIR = Path(__file__).resolve().parent
#: modules never bundled (the package's side effects, not model code)
SKIP = {"hf_transfer", "hf_transfer._clash"}


def _module_path(name: str) -> Path:
    parts = name.split(".")[1:]
    path = PACKAGE_DIR.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """Package modules an `ImportFrom` names (`from .x import y` may import a module `y`)."""
    if node.level:
        is_package = _module_path(module).name == "__init__.py"
        parts = module.split(".") if is_package else module.split(".")[:-1]
        base = parts[: len(parts) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    elif node.module and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
        target = node.module
    else:
        return []
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.append(sub if _module_path(sub).exists() else target)
    return out


def _top_level_imports(module: str) -> list[str]:
    tree = ast.parse(_module_path(module).read_text(encoding="utf-8"))
    deps = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            deps.extend(d for d in _resolve(module, node) if d not in SKIP)
    return deps


def _package_init_reexports(module: str) -> list[str]:
    """A package `__init__` imported for its names stands for the modules it imports from."""
    if _module_path(module).name != "__init__.py":
        return [module]
    return [d for d in _top_level_imports(module) if d != module]


def _closure(start: str) -> list[str]:
    """Modules `start` needs at import time, dependencies first."""
    order, visiting = [], set()

    def visit(mod):
        if mod in order or mod in SKIP:
            return
        if mod in visiting:
            raise ValueError(f"import cycle through {mod}")
        visiting.add(mod)
        for dep in _top_level_imports(mod):
            for real in _package_init_reexports(dep):
                visit(real)
        visiting.discard(mod)
        if _module_path(mod).name != "__init__.py":
            order.append(mod)

    visit(start)
    return order


def _strip(module: str, source: str, bundled: set[str]) -> tuple[list[str], str]:
    """Remove `from __future__` lines, `__all__` and imports of bundled modules (anywhere in the
    file, function bodies included); imports of other package modules become absolute."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []  # (start, end, replacement)
    future = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.append(ast.get_source_segment(source, node))
            edits.append((node.lineno, node.end_lineno, None))
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(PACKAGE)):
            targets = _resolve(module, node)
            indent = " " * node.col_offset
            if all(t in bundled or any(r in bundled for r in _package_init_reexports(t)) for t in targets):
                names = [a for a in node.names if a.asname and a.asname != a.name]
                text = "".join(f"{indent}{a.asname} = {a.name}\n" for a in names) or f"{indent}pass\n"
                edits.append((node.lineno, node.end_lineno, text))
            else:
                absolute = ".".join(filter(None, [_absolute_base(module, node), node.module if node.level else None])) or node.module
                names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
                # kept for the paths that need the library (e.g. training helpers), inside a try so
                # that transformers' import check does not require hf_transfer to load the model
                edits.append((node.lineno, node.end_lineno, f"{indent}try:\n{indent}    from {absolute} import {names}\n{indent}except ImportError:\n{indent}    raise\n"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            edits.append((node.lineno, node.end_lineno, None))
    for start, end, text in sorted(edits, reverse=True):
        lines[start - 1 : end] = [text] if text else []
    return future, "".join(lines)


def _absolute_base(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return ""
    is_package = _module_path(module).name == "__init__.py"
    parts = module.split(".") if is_package else module.split(".")[:-1]
    return ".".join(parts[: len(parts) - node.level + 1])


def _defined_names(source: str) -> dict[str, str]:
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = ast.dump(node)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = ast.dump(node.value)
    return out


def bundle_source(*classes) -> str:
    """One self-contained Python file defining `classes` (and everything they need)."""
    modules = []
    for cls in classes:
        for mod in _closure(cls.__module__):
            if mod not in modules:
                modules.append(mod)
    bundled = set(modules)
    futures, bodies, seen = set(), [], {}
    for mod in modules:
        future, body = _strip(mod, _module_path(mod).read_text(encoding="utf-8"), bundled)
        futures.update(future)
        for name, dump in _defined_names(body).items():
            if name in seen and seen[name][1] != dump and name not in ("logger",):
                raise ValueError(f"remote code: {name!r} is defined differently in {seen[name][0]} and {mod}; rename one of them")
            seen.setdefault(name, (mod, dump))
        bodies.append(f"# {'-' * 20} from {mod} {'-' * 20}\n{body}")
    header = (f'"""Generated by hf_transfer from its modules {", ".join(modules)}: the model code for\n'
              f'`trust_remote_code=True`. Do not edit; regenerate with hf_transfer.remote_code.save_remote_code."""\n\n')
    return header + "".join(sorted(futures)) + "\n\n" + "\n\n".join(bodies)


def _auto_map(model) -> dict[str, str]:
    from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification

    stem = REMOTE_CODE_FILE[:-3]
    config_class = type(model.config)
    out = {"AutoConfig": f"{stem}.{config_class.__name__}"}
    for auto in (AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification):
        mapped = auto._model_mapping._extra_content.get(config_class)
        if mapped is None:
            continue
        if auto is AutoModel:  # the bare model, as transformers' AutoModel gives
            out[auto.__name__] = f"{stem}.{mapped.__name__}"
        elif issubclass(type(model), mapped):  # only the head this model is (one config may serve two heads)
            out[auto.__name__] = f"{stem}.{type(model).__name__}"
    del AutoConfig
    return out


def save_remote_code(model, directory: str | Path) -> Path:
    """Write the bundled model code beside a saved model and point `config.json`'s `auto_map` at
    it, so `AutoModel*.from_pretrained(directory, trust_remote_code=True)` loads it without
    `hf_transfer`; the model's pipeline tasks go with it (`custom_pipelines`), so
    `pipeline(task, model=directory, trust_remote_code=True)` does too."""
    directory = Path(directory)
    importlib.import_module(type(model).__module__)
    classes = [type(model), type(model.config)]
    auto_map = _auto_map(model)
    for value in auto_map.values():
        name = value.split(".", 1)[1]
        if name not in {c.__name__ for c in classes}:
            classes.append(_find_class(model, name))
    pipelines = _custom_pipelines(model, auto_map)
    classes.extend(info["impl"] for info in pipelines.values() if info["impl"] not in classes)
    (directory / REMOTE_CODE_FILE).write_text(bundle_source(*classes), encoding="utf-8")
    config_path = directory / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["auto_map"] = auto_map
    stem = REMOTE_CODE_FILE[:-3]
    if pipelines:
        config["custom_pipelines"] = {task: {"impl": f"{stem}.{info['impl'].__name__}", "pt": [info["pt"].__name__], "type": "text"}
                                      for task, info in sorted(pipelines.items())}
    else:
        config.pop("custom_pipelines", None)
    tmp = config_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(config_path)
    return directory / REMOTE_CODE_FILE


def _custom_pipelines(model, auto_map: dict[str, str]) -> dict[str, dict]:
    """The registered pipeline tasks `model` serves whose Auto class the remote code maps."""
    from .pipelines import pipeline_tasks

    return {task: info for task, info in pipeline_tasks(model).items() if info["pt"].__name__ in auto_map}


def _find_class(model, name):
    for cls in type(model).__mro__:
        if cls.__name__ == name:
            return cls
    module = importlib.import_module(type(model).__module__)
    return getattr(module, name)
