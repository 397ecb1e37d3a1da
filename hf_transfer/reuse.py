"""Reusing pretrained layers and freezing them: the reference design's first section.

Copy chosen parameters of a checkpoint into a new model by name pattern, freeze the lower layers,
train the rest with smaller learning rates at the bottom (layer-wise decay, as in ULMFiT's
discriminative fine-tuning, Howard & Ruder 2018, and ELECTRA/BEiT's layer-wise lr decay).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from transformers import PreTrainedModel


__all__ = [
    "ReuseReport",
    "reuse_layers",
    "load_state_dict_from",
    "freeze",
    "unfreeze",
    "freeze_lower_layers",
    "find_layers",
    "trainable_parameters",
    "head_lr_groups",
    "head_lr_optimizer",
    "layerwise_lr_groups",
]


@dataclass
class ReuseReport:
    """What `reuse_layers` did.

    Attributes:
        loaded: `(source_name, target_name)` pairs copied.
        shape_mismatch: `(source_name, target_name, source_shape, target_shape)` not copied.
        unmatched: source names selected by `include` that match no parameter of the model.
    """

    loaded: list[tuple[str, str]] = field(default_factory=list)
    shape_mismatch: list[tuple[str, str, tuple, tuple]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    @property
    def loaded_names(self) -> list[str]:
        return [target for _, target in self.loaded]

    def __str__(self) -> str:
        lines = [f"loaded {len(self.loaded)} tensors, {len(self.shape_mismatch)} skipped for shape mismatch, {len(self.unmatched)} matched nothing"]
        lines += [f"  shape mismatch: {s} {tuple(a)} -> {t} {tuple(b)}" for s, t, a, b in self.shape_mismatch[:10]]
        lines += [f"  unmatched: {s}" for s in self.unmatched[:10]]
        return "\n".join(lines)


def load_state_dict_from(source) -> dict[str, torch.Tensor]:
    """A state dict from a directory (safetensors, sharded or not), a single `.safetensors` file,
    a Hub id (only the safetensors files are fetched), a model, or a state dict. Never unpickles."""
    if isinstance(source, nn.Module):
        return source.state_dict()
    if isinstance(source, Mapping):
        return dict(source)
    from safetensors.torch import load_file

    path = Path(source)
    if path.is_file():
        if path.suffix != ".safetensors":
            raise ValueError(f"{path}: only .safetensors checkpoints are read (pickle files can run code)")
        return load_file(str(path))
    if not path.exists():
        if str(source).startswith((".", "/")) or str(source).count("/") > 1:
            raise FileNotFoundError(f"checkpoint directory {source} does not exist")
        from huggingface_hub import snapshot_download

        path = Path(snapshot_download(str(source), allow_patterns=["*.safetensors", "*.safetensors.index.json", "config.json"]))
    index = path / "model.safetensors.index.json"
    if index.exists():
        files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    else:
        files = sorted(p.name for p in path.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{path} holds no .safetensors weights (only safetensors checkpoints are read)")
    state: dict[str, torch.Tensor] = {}
    for name in files:
        state.update(load_file(str(path / name)))
    return state


def _rename(name: str, rename) -> str:
    if rename is None:
        return name
    if callable(rename):
        return rename(name)
    for pattern, replacement in rename.items():
        name = re.sub(pattern, replacement, name)
    return name


def _resolve_target(name: str, targets: dict[str, torch.Tensor], source_prefixes: tuple[str, ...]) -> str | None:
    """Exact name, then without the source's base-model prefix, then the one target that ends
    with `.name` (a backbone nested in a wrapper model)."""
    if name in targets:
        return name
    candidates = [name]
    for prefix in source_prefixes:
        if name.startswith(prefix + "."):
            stripped = name[len(prefix) + 1 :]
            if stripped in targets:
                return stripped
            candidates.append(stripped)
    for candidate in candidates:
        suffix = "." + candidate
        hits = [t for t in targets if t.endswith(suffix)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValueError(
                f"source tensor {name!r} matches several parameters of the model ({hits[:4]}): pass rename= or target_prefix= to choose"
            )
    return None


def reuse_layers(
    model: nn.Module,
    source,
    include: str,
    exclude: str | None = None,
    rename: Mapping[str, str] | Callable[[str], str] | None = None,
    target_prefix: str | None = None,
) -> ReuseReport:
    """Copy the parameters of `source` whose names match the regular expression `include` into `model`.

    Args:
        model: the model to fill (a `PreTrainedModel` or any `nn.Module`).
        source: a directory, a Hub id, a `PreTrainedModel` or a state dict.
        include: regex searched in source names, e.g. `r"encoder\\.layer\\.[0-2]\\."`.
        exclude: regex of source names to leave out.
        rename: source name -> model name: a dict of regex -> replacement applied in order, or a callable.
        target_prefix: prepended to the (renamed) source names, to pick one of several copies.

    A source name is matched to the model's parameter of the same name, else after dropping the
    source's base-model prefix (`bert.`), else to the one parameter ending with it (a backbone
    nested inside the model). All shapes are checked before anything is copied, so nothing is
    half-copied; mismatches are reported and left alone. Buffers (e.g. `position_ids`) are ignored.

    Raises:
        ValueError: when the pattern loads nothing (naming it and a few available source names).
    """
    state = load_state_dict_from(source)
    include_re = re.compile(include)
    exclude_re = re.compile(exclude) if exclude else None
    targets = dict(model.named_parameters())
    prefixes = tuple({getattr(source, "base_model_prefix", None), "bert", "roberta", "model", "transformer", "encoder.model"} - {None, ""})
    report = ReuseReport()
    plan: list[tuple[str, str, torch.Tensor]] = []
    for source_name, tensor in state.items():
        if not include_re.search(source_name) or (exclude_re is not None and exclude_re.search(source_name)):
            continue
        renamed = _rename(source_name, rename)
        if target_prefix:
            renamed = f"{target_prefix}{renamed}"
        target_name = _resolve_target(renamed, targets, prefixes)
        if target_name is None:
            if not source_name.endswith(("position_ids", "num_batches_tracked")):
                report.unmatched.append(source_name)
            continue
        target = targets[target_name]
        if tuple(target.shape) != tuple(tensor.shape):
            report.shape_mismatch.append((source_name, target_name, tuple(tensor.shape), tuple(target.shape)))
            continue
        plan.append((source_name, target_name, tensor))
    if not plan:
        available = list(state)[:8]
        detail = f"; {len(report.shape_mismatch)} matched with the wrong shape" if report.shape_mismatch else ""
        detail += f"; {len(report.unmatched)} matched no model parameter (e.g. {report.unmatched[:3]})" if report.unmatched else ""
        raise ValueError(f"reuse_layers: include={include!r} loads nothing from the source{detail}. Some source names: {available}")
    with torch.no_grad():
        for source_name, target_name, tensor in plan:
            targets[target_name].copy_(tensor.to(targets[target_name].dtype))
            report.loaded.append((source_name, target_name))
    return report


def _set_requires_grad(model: nn.Module, pattern: str, value: bool) -> list[str]:
    regex = re.compile(pattern)
    matched = [(n, p) for n, p in model.named_parameters() if regex.search(n)]
    if not matched:
        names = [n for n, _ in model.named_parameters()][:8]
        raise ValueError(f"pattern {pattern!r} matches no parameter of {type(model).__name__}; some names: {names}")
    changed = [n for n, p in matched if p.requires_grad != value]
    for _, p in matched:
        p.requires_grad_(value)
    return changed


def freeze(model: nn.Module, pattern: str) -> list[str]:
    """Freeze the parameters whose names match the regex `pattern`; return the names that changed."""
    return _set_requires_grad(model, pattern, False)


def unfreeze(model: nn.Module, pattern: str) -> list[str]:
    """Unfreeze the parameters whose names match the regex `pattern`; return the names that changed."""
    return _set_requires_grad(model, pattern, True)


_LAYER_LIST_NAMES = ("layer", "layers", "h", "block", "blocks")


def _base_models(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The innermost transformer models inside `model` (each backbone of a wrapper model)."""
    pretrained = [(n, m) for n, m in model.named_modules() if isinstance(m, PreTrainedModel)]

    def contains_another(name: str) -> bool:
        return any(other != name and (name == "" or other.startswith(name + ".")) for other, _ in pretrained)

    return [(n, m) for n, m in pretrained if not contains_another(n)]


def find_layers(model: nn.Module) -> tuple[str, nn.ModuleList]:
    """The list of transformer layers of a model: the longest `nn.ModuleList` of identical blocks,
    named `layer`, `layers`, `h` or `block` where several exist. Works for BERT, RoBERTa, XLM-R,
    DistilBERT, ELECTRA, GPT-2, T5's encoder ... without per-architecture code."""
    candidates = []
    for name, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0 and len({type(m) for m in module}) == 1:
            # blocks are containers (attention + feed-forward), not bare parallel convolutions
            if any(True for _ in module[0].children()) and any(p.numel() for p in module.parameters()):
                preferred = name.rsplit(".", 1)[-1] in _LAYER_LIST_NAMES
                candidates.append((preferred, len(module), -name.count("."), name, module))
    if not candidates:
        raise ValueError(f"{type(model).__name__} has no list of identical layers (nn.ModuleList): freeze by name with freeze(model, pattern) instead")
    candidates.sort(key=lambda c: c[:3], reverse=True)
    return candidates[0][3], candidates[0][4]


def _layer_structure(model: nn.Module):
    """For each transformer inside `model`: (prefix, embedding parameter names, per-layer names)."""
    bases = _base_models(model)
    if not bases:
        bases = [("", model)]
    structures = []
    for prefix, base in bases:
        try:
            list_name, layers = find_layers(base)
        except ValueError as err:
            raise ValueError(f"freeze_lower_layers: cannot find the layers of {type(base).__name__}: {err}") from None
        full = lambda n: f"{prefix}.{n}" if prefix else n  # noqa: E731
        names = [n for n, _ in base.named_parameters()]
        first_layer = f"{list_name}.0."
        start = next(i for i, n in enumerate(names) if n.startswith(first_layer))
        # the embeddings: everything registered before the first layer (word, position, type, norm)
        embeddings = [full(n) for n in names[:start]]
        per_layer = [[full(f"{list_name}.{i}.{n}") for n, _ in layer.named_parameters()] for i, layer in enumerate(layers)]
        structures.append((prefix, embeddings, per_layer))
    return structures


def freeze_lower_layers(model: nn.Module, n: int, embeddings: bool = True) -> list[str]:
    """Freeze the embeddings and the lowest `n` transformer layers of every transformer backbone in
    `model` (e.g. `n=4` of MiniLM's 6). Returns the frozen parameter names."""
    structures = _layer_structure(model)
    params = dict(model.named_parameters())
    frozen = []
    for prefix, embedding_names, per_layer in structures:
        if not 0 <= n <= len(per_layer):
            raise ValueError(f"n must be between 0 and {len(per_layer)} (the number of layers of {prefix or 'the model'}), got {n}")
        names = (embedding_names if embeddings else []) + [name for layer in per_layer[:n] for name in layer]
        for name in names:
            params[name].requires_grad_(False)
        frozen += names
    return frozen


def trainable_parameters(model: nn.Module) -> tuple[list[str], int]:
    """Names of the trainable parameters and their total number of elements."""
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return names, count


def layerwise_lr_groups(model: nn.Module, base_lr: float, decay: float = 0.9, weight_decay: float = 0.0) -> list[dict]:
    """Optimizer parameter groups with smaller learning rates for lower layers.

    Layer `i` of `L` gets `base_lr * decay ** (L - i)`, the embeddings `base_lr * decay ** (L + 1)`,
    everything else (heads, private towers) `base_lr`. Frozen parameters are left out, so they get
    no optimizer state. Biases and norm weights get no weight decay, as in `transformers.Trainer`.
    """
    if not 0 < decay <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay}")
    depth: dict[str, int] = {}
    for _prefix, embedding_names, per_layer in _layer_structure(model):
        total = len(per_layer)
        for name in embedding_names:
            depth[name] = total + 1
        for i, names in enumerate(per_layer):
            for name in names:
                depth[name] = total - i
    return _param_groups(model, lambda name, _param: -depth.get(name, 0), lambda rank: base_lr * decay**-rank, weight_decay)


def _param_groups(model: nn.Module, rank_of, lr_of, weight_decay: float) -> list[dict]:
    """Trainable parameters grouped by `rank_of(name, param)` (groups in ascending rank, each with
    `lr_of(rank)`) and by weight decay: none on biases and norm weights, as in `transformers.Trainer`.
    Frozen parameters are left out, so they get no optimizer state."""
    groups: dict[tuple, dict] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        no_decay = param.ndim < 2 or "norm" in name.lower()
        key = (rank_of(name, param), no_decay)
        if key not in groups:
            groups[key] = {"params": [], "names": [], "lr": lr_of(key[0]), "weight_decay": 0.0 if no_decay else weight_decay}
        groups[key]["params"].append(param)
        groups[key]["names"].append(name)
    return [groups[k] for k in sorted(groups)]


def head_lr_groups(model: nn.Module, base_lr: float, head_lr: float, weight_decay: float = 0.0) -> list[dict]:
    """Optimizer parameter groups: the pretrained transformer backbone(s) of an hf_transfer model
    (`model.backbone_encoders()`) at `base_lr`, everything trained from scratch (heads, private
    towers, discriminators, CRFs) at `head_lr`. Randomly initialised layers at a fine-tuning
    learning rate such as 5e-5 learn so slowly that a few epochs can end near the label prior.
    Frozen parameters are left out; biases and norm weights get no weight decay."""
    encoders = model.backbone_encoders() if hasattr(model, "backbone_encoders") else []
    in_backbone = {id(p) for enc in encoders for p in enc.parameters()}
    # rank 0: backbone (listed first), rank 1: layers trained from scratch
    return _param_groups(model, lambda _name, param: int(id(param) not in in_backbone), lambda rank: head_lr if rank else base_lr, weight_decay)



def head_lr_optimizer(model: nn.Module, base_lr: float, head_lr: float | None, weight_decay: float = 0.0, **adamw_kwargs):
    """A `torch.optim.AdamW` over `head_lr_groups(model, base_lr, head_lr, weight_decay)`, to pass
    to `transformers.Trainer(optimizers=(optimizer, None))` (Trainer still builds its scheduler,
    which scales every group's rate alike). Returns None when `head_lr` is None or equals
    `base_lr` (Trainer's own optimizer is then the same thing).

    Example:
        >>> optimizer = head_lr_optimizer(model, args.learning_rate, 1e-3, args.weight_decay)
        >>> trainer = Trainer(model=model, args=args, optimizers=(optimizer, None), ...)
    """
    if head_lr is None or head_lr == base_lr:
        return None
    if head_lr <= 0 or base_lr <= 0:
        raise ValueError(f"learning rates must be positive, got base_lr={base_lr}, head_lr={head_lr}")
    groups = head_lr_groups(model, base_lr, head_lr, weight_decay)
    for group in groups:
        group.pop("names")
    return torch.optim.AdamW(groups, lr=base_lr, **adamw_kwargs)
