"""A small embedded joint intent + slot data set, written by the project itself, so that the
README's first command runs on a fresh machine with no download. English voice-assistant
requests in 5 intents with slots, in MASSIVE's jsonl format (`annot_utt` with
`[slot : value]` spans); read with `load_massive`. It is a smoke-test sample, not a benchmark."""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
from pathlib import Path


TEMPLATES = {
    "book_flight": [
        "book a flight from [from_city : {city}] to [to_city : {city2}]",
        "i need a ticket to [to_city : {city}] [date : {date}]",
        "find me flights to [to_city : {city}] leaving [date : {date}]",
        "fly me from [from_city : {city}] to [to_city : {city2}] [date : {date}]",
    ],
    "get_weather": [
        "what is the weather in [city : {city}] [date : {date}]",
        "will it rain in [city : {city}] [date : {date}]",
        "how cold is it in [city : {city}]",
        "weather forecast for [city : {city}] please",
    ],
    "play_music": [
        "play [artist : {artist}]",
        "put on some [genre : {genre}] music",
        "play the latest song by [artist : {artist}]",
        "i want to hear [genre : {genre}] by [artist : {artist}]",
    ],
    "set_alarm": [
        "wake me up at [time : {time}]",
        "set an alarm for [time : {time}] [date : {date}]",
        "alarm at [time : {time}] please",
        "remind me at [time : {time}] to leave",
    ],
    "rate_book": [
        "give [book : {book}] [rating : {rating}] stars",
        "rate [book : {book}] [rating : {rating}] out of 5",
        "i would give [book : {book}] a [rating : {rating}]",
        "rate this book [rating : {rating}] points",
    ],
}
VALUES = {
    "city": ["paris", "berlin", "new york", "madrid", "tokyo", "rome", "boston", "san francisco"],
    "date": ["tomorrow", "today", "on monday", "next week", "this weekend"],
    "artist": ["miles davis", "adele", "the beatles", "nina simone", "daft punk"],
    "genre": ["jazz", "rock", "classical", "hip hop"],
    "time": ["seven am", "six thirty", "noon", "ten pm"],
    "book": ["dune", "war and peace", "the hobbit", "emma"],
    "rating": ["four", "five", "three", "two"],
}
SPLITS = {"train": 30, "dev": 8, "test": 8}  # utterances per intent


def sample_records(seed: int = 0) -> list[dict]:
    """The sample's records (deterministic for a seed)."""
    rng = random.Random(seed)
    records = []
    for partition, per_intent in SPLITS.items():
        for intent, templates in TEMPLATES.items():
            for i in range(per_intent):
                template = templates[i % len(templates)]
                fill = {k: rng.choice(v) for k, v in VALUES.items()}
                fill["city2"] = rng.choice([c for c in VALUES["city"] if c != fill["city"]])
                annot = template.format(**fill)
                utt = re.sub(r"\[[^\]:]+ : ([^\]]+)\]", r"\1", annot)
                records.append({"id": str(len(records)), "locale": "en-US", "partition": partition, "intent": intent, "utt": utt, "annot_utt": annot})
    return records


def write_sample(path: str | os.PathLike) -> Path:
    """Write the sample as jsonl to `path` (atomically) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for rec in sample_records():
            f.write(json.dumps(rec) + "\n")
    os.replace(tmp, path)
    return path


def load_sample(cache_dir: str | os.PathLike | None = None):
    """The sample as a joint-schema `DatasetDict` (train / validation / test)."""
    from .readers import load_massive

    cache = Path(cache_dir or Path.home() / ".cache" / "hf_transfer")
    path = cache / "sample_intents_slots.jsonl"
    if not path.exists():
        write_sample(path)
    return load_massive(path)
