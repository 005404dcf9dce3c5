"""What the parse-cost estimate (MC311) adds to reading a large document, and how fast a dense
one is refused.

Times, alternating in one process: `parse_cost` and the reader's own parse (`json_reader`'s
stdlib scanner with its hooks) on a document of ordinary floats (`json.dumps` of random
floats, 64 MiB less a little by default: the largest file that is read), then `load_text` on
300,000 `{"a":1}` (refused unparsed). Prints medians.

    .venv/bin/python bench/parse_cost.py [--mib 63] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

from model_conformance.json_reader import document
from model_conformance.json_reader.cost import parse_cost


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=63)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(1)
    floats = json.dumps({"loss_curve": [rng.random() for _ in range(args.mib * 2**20 // 20)]})
    dense = '{"training_data": [' + ",".join(['{"a":1}'] * 300_000) + "]}"
    estimate, parse, refuse = [], [], []
    for _ in range(args.rounds):
        estimate.append(_timed(lambda: parse_cost(floats)))
        parse.append(_timed(lambda: document._load(floats)))
        refuse.append(_timed(lambda: document.load_text("wide.json", dense, [])))
    est, par = statistics.median(estimate), statistics.median(parse)
    print(f"{len(floats) / 2**20:.1f} MiB of floats, {args.rounds} rounds, medians:")
    print(f"  parse_cost        {est * 1000:7.0f} ms  ({len(floats) / est / 2**20:.0f} MiB/s)")
    print(f"  parse             {par * 1000:7.0f} ms")
    print(f"  estimate / parse  {est / par:7.2f}")
    print(f'{len(dense) / 2**20:.1f} MiB of 300,000 {{"a":1}}, refused (MC311):')
    print(f"  load_text         {statistics.median(refuse) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
