"""Language detection on short customer messages, with the conversation's language as
context: `python -m bench.language` reads bench/data/language/short_messages.yml (100
labelled messages per language), prints the accuracy per language and overall, every
miss, and the time one reading takes; writes bench/results/language.json. The target
is 98 % accuracy."""

import argparse
import time
from collections import Counter
from pathlib import Path

import yaml

from bench.results_file import percentile, write_result
from components.language import reader
from stack.processes import ROOT

DATA = ROOT / "bench" / "data" / "language" / "short_messages.yml"


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    labelled = yaml.safe_load(args.data.read_text(encoding="utf-8"))
    languages = reader()
    languages.read("warm the detector up with a sentence", None)
    right: Counter[str] = Counter()
    seconds: list[float] = []
    misses = []
    for expected, messages in labelled.items():
        for message in messages:
            start = time.perf_counter()
            reading = languages.read(message["text"], message["context"])
            seconds.append(time.perf_counter() - start)
            if reading.language == expected:
                right[expected] += 1
            else:
                misses.append((message, expected, reading))
    total = sum(len(messages) for messages in labelled.values())
    accuracy = sum(right.values()) / total
    per_language = {lang: right[lang] / len(msgs) for lang, msgs in labelled.items()}
    for message, expected, reading in misses:
        print(f"miss: {message['text']!r} after {message['context']}: {reading} (want {expected})")
    print("language: " + ", ".join(f"{lang} {share:.1%}" for lang, share in per_language.items()))
    p50, p95 = (percentile(seconds, share) * 1000 for share in (0.5, 0.95))
    print(
        f"language: {accuracy:.1%} of {total} short messages (target 98 %); "
        f"one reading p50 {p50:.2f} ms, p95 {p95:.2f} ms"
    )
    return write_result(
        "language",
        {
            "messages": total,
            "accuracy": round(accuracy, 4),
            "per_language": {lang: round(share, 4) for lang, share in per_language.items()},
            "misses": len(misses),
            "reading_ms_p50": round(p50, 3),
            "reading_ms_p95": round(p95, 3),
        },
    )


if __name__ == "__main__":
    main()
