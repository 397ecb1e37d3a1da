"""Training: one entry point per family (dataclass arguments + `TrainingArguments` -> metrics),
the trainers they use (episodic, adversarial) and the run path they share (`run`)."""

from .fewshot import FewShotArguments, evaluate_novel_classes, train_fewshot
from .finetune import FinetuneArguments, train_finetune
from .multilingual import (
    MultilingualArguments,
    MultilingualTrainingArguments,
    evaluate_languages,
    probe_languages,
    train_multilingual,
)
from .multitask import MultitaskArguments, train_multitask
from .run import (
    EvaluationKeepsRNG,
    FiniteCheckCallback,
    NonFiniteError,
    OutputDirError,
    RunArguments,
    save_run,
    start_run,
)


__all__ = [
    "EvaluationKeepsRNG",
    "FewShotArguments",
    "FinetuneArguments",
    "FiniteCheckCallback",
    "MultilingualArguments",
    "MultilingualTrainingArguments",
    "MultitaskArguments",
    "NonFiniteError",
    "OutputDirError",
    "RunArguments",
    "evaluate_languages",
    "evaluate_novel_classes",
    "probe_languages",
    "save_run",
    "start_run",
    "train_fewshot",
    "train_finetune",
    "train_multilingual",
    "train_multitask",
]
