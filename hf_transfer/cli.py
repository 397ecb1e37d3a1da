"""The `hf-transfer` command line (also `python -m hf_transfer`).

    hf-transfer train {finetune,multitask,fewshot,multilingual} [--config file.json|yaml] [flags]
    hf-transfer evaluate MODEL_DIR --dataset NAME_OR_PATH [--split test]
    hf-transfer predict MODEL_DIR [--file texts.txt]      (one text a line; stdin by default; JSON lines out)
    hf-transfer push MODEL_DIR REPO_ID [--private] [--token T] [--commit_message M]

`train` takes the family's own flags and every `TrainingArguments` flag (`--help` lists them);
`--config` reads the same names from a JSON or YAML file, and flags given on the command line win.
`--smoke` trains on tiny data for a few steps. Errors are one line (`HF_TRANSFER_TRACEBACK=1`
shows the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from transformers import HfArgumentParser


def _train_entry(family: str):
    """(family arguments class, TrainingArguments class, train function)."""
    from transformers import TrainingArguments

    if family == "finetune":
        from .training.finetune import FinetuneArguments, train_finetune

        return FinetuneArguments, TrainingArguments, train_finetune
    if family == "multitask":
        from .training.multitask import MultitaskArguments, train_multitask

        return MultitaskArguments, TrainingArguments, train_multitask
    if family == "fewshot":
        from .training.fewshot import FewShotArguments, train_fewshot

        return FewShotArguments, TrainingArguments, train_fewshot
    from .training.multilingual import MultilingualArguments, MultilingualTrainingArguments, train_multilingual

    return MultilingualArguments, MultilingualTrainingArguments, train_multilingual


FAMILIES = ("finetune", "multitask", "fewshot", "multilingual")
FAMILY_HELP = {
    "finetune": "sentence classifier from a pretrained transformer, layers reused or frozen (--mode)",
    "multitask": "shared-private intent classification + slot filling with a CRF",
    "fewshot": "prototypical / matching / relation network trained on episodes, evaluated on novel classes",
    "multilingual": "adversarial shared-private multilingual model (intents or slots)",
}


def _read_config(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"--config: file {path} does not exist")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            values = yaml.safe_load(text)
        else:
            values = json.loads(text)
    except (ValueError, ImportError) as err:  # json.JSONDecodeError and yaml.YAMLError are ValueErrors / YAMLError
        raise ValueError(f"--config {path}: not valid {'YAML' if p.suffix.lower() in ('.yaml', '.yml') else 'JSON'}: {err}") from None
    except Exception as err:  # yaml.YAMLError
        raise ValueError(f"--config {path}: not valid YAML: {err}") from None
    if not isinstance(values, dict):
        raise ValueError(f"--config {path}: expected a mapping of argument names to values, got {type(values).__name__}")
    return values


def parse_train_args(family: str, argv: list[str]):
    """(family arguments, training arguments) from `--config` and the command line."""
    from .training.run import use_cpu_for_processes_without_gpu

    use_cpu_for_processes_without_gpu()  # before TrainingArguments sets up the processes
    args_class, training_class, _ = _train_entry(family)
    parser = HfArgumentParser((args_class, training_class), prog=f"hf-transfer train {family}", description=FAMILY_HELP[family])
    parser.add_argument("--config", default=None, help="JSON or YAML file of argument values (command-line flags win)")
    config_path = None
    if "--config" in argv:
        i = argv.index("--config")
        if i + 1 >= len(argv):
            parser.error("--config needs a file")
        config_path = argv[i + 1]
    elif any(a.startswith("--config=") for a in argv):
        config_path = next(a.split("=", 1)[1] for a in argv if a.startswith("--config="))
    if config_path:
        values = _read_config(config_path)
        known = {a.dest for a in parser._actions}
        unknown = sorted(k for k in values if k not in known)
        if unknown:
            raise ValueError(f"--config {config_path}: unknown argument(s) {unknown} for `hf-transfer train {family}`")
        parser.set_defaults(**values)
        for action in parser._actions:  # a value from the file satisfies a required flag
            if action.dest in values:
                action.required = False
    *outputs, rest = parser.parse_args_into_dataclasses(args=argv, return_remaining_strings=True)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return outputs[:2]  # (the namespace left holds --config)


def cmd_train(family: str, argv: list[str]) -> int:
    _, _, train = _train_entry(family)
    args, training_args = parse_train_args(family, argv)
    with contextlib.redirect_stdout(sys.stderr):  # Trainer prints its logs; stdout carries the result alone
        metrics = train(args, training_args)
    if training_args.should_save:  # the main process only, under torchrun / accelerate launch
        print(json.dumps(metrics, indent=2, sort_keys=True, default=str))
    return 0


def cmd_evaluate(ns) -> int:
    from .inference import evaluate_model, load_model

    model, tokenizer = load_model(ns.model_dir)
    with contextlib.redirect_stdout(sys.stderr):
        metrics = evaluate_model(model, tokenizer, ns.dataset, split=ns.split, batch_size=ns.batch_size, max_samples=ns.max_samples,
                                 text_column=ns.text_column, label_column=ns.label_column, progress=sys.stderr.isatty())
    print(json.dumps(metrics, indent=2, sort_keys=True))
    return 0


def cmd_predict(ns) -> int:
    from .inference import load_model, predict_texts

    model, tokenizer = load_model(ns.model_dir)
    if ns.file:
        path = Path(ns.file)
        if not path.is_file():
            raise FileNotFoundError(f"--file {ns.file} does not exist")
        try:
            lines = path.read_text(encoding="utf-8-sig").split("\n")
        except UnicodeDecodeError as err:
            raise ValueError(f"--file {ns.file}: not UTF-8 text (byte {err.start})") from None
    else:
        lines = sys.stdin.read().split("\n")
    # one text a line: "\n" only (str.splitlines would also split at U+2028 and other separators inside a text)
    texts = [line.rstrip("\r") for line in lines if line.strip()]
    for text, result in zip(texts, predict_texts(model, tokenizer, texts, batch_size=ns.batch_size)):
        print(json.dumps({"text": text, **result}, ensure_ascii=False))
    return 0


def cmd_push(ns) -> int:
    from . import hub

    try:
        commit = hub.push(ns.model_dir, ns.repo_id, token=ns.token, private=True if ns.private else None, commit_message=ns.commit_message)
    except (ValueError, FileNotFoundError):  # no model there, a local path in a file: the message says which
        raise
    except Exception as err:  # the Hub's errors (network, authentication) span lines: one line here
        raise RuntimeError(f"push {ns.model_dir} to {ns.repo_id}: {type(err).__name__}: {' '.join(str(err).split())}") from err
    print(json.dumps({"repo_id": ns.repo_id, "commit_url": str(getattr(commit, "commit_url", "") or ""), "files": hub.uploaded_names(ns.model_dir)}, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hf-transfer", description="Transfer learning for text on the Hugging Face stack.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help="train a model: hf-transfer train {" + ",".join(FAMILIES) + "} --help", add_help=False)
    ev = sub.add_parser("evaluate", help="score a saved model on a data set")
    ev.add_argument("model_dir")
    ev.add_argument("--dataset", required=True, help="a built-in name (snips, atis, xsid, clinc150, seed, seed_ner, sample) or a path / Hub id")
    ev.add_argument("--split", default="test")
    ev.add_argument("--batch_size", type=int, default=32)
    ev.add_argument("--max_samples", type=int, default=None)
    ev.add_argument("--text_column", default="text")
    ev.add_argument("--label_column", default=None)
    pr = sub.add_parser("predict", help="predict with a saved model: text lines in (stdin or --file), JSON lines out")
    pr.add_argument("model_dir")
    pr.add_argument("--file", default=None, help="UTF-8 text file, one text a line (default: stdin)")
    pr.add_argument("--batch_size", type=int, default=32)
    pu = sub.add_parser("push", help="upload a saved model to the Hugging Face Hub: config, weights, tokenizer and card, nothing else")
    pu.add_argument("model_dir")
    pu.add_argument("repo_id", help="'user/name' or 'name' (in the token's namespace)")
    pu.add_argument("--private", action="store_true", help="create the repository private (an existing one keeps its visibility)")
    pu.add_argument("--token", default=None, help="Hub token (default: the one `hf auth login` stored, or HF_TOKEN)")
    pu.add_argument("--commit_message", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if argv[:1] == ["train"]:
            if len(argv) < 2 or argv[1] in ("-h", "--help"):
                print("usage: hf-transfer train {" + ",".join(FAMILIES) + "} [--config FILE] [flags]  (hf-transfer train FAMILY --help lists the flags)\n")
                print("\n".join(f"  {k:<13} {v}" for k, v in FAMILY_HELP.items()))
                return 0 if len(argv) >= 2 else 2
            if argv[1] not in FAMILIES:
                parser.error(f"train: unknown family {argv[1]!r}; choose from {', '.join(FAMILIES)}")
            return cmd_train(argv[1], argv[2:])
        ns = parser.parse_args(argv)
        if ns.command == "push":
            return cmd_push(ns)
        return cmd_evaluate(ns) if ns.command == "evaluate" else cmd_predict(ns)
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, KeyError, OSError, RuntimeError) as err:
        if os.environ.get("HF_TRANSFER_TRACEBACK"):
            raise
        print(f"hf-transfer: error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
