"""A corpus of hostile inputs, generated (no blobs committed): what an attacker or a careless
user feeds `lint` and `register`.

`write_corpus(folder)` writes every input as a file and returns their names; a few are not
files at all (a FIFO, a symlink loop, a directory named like a file) and one is a sparse file
over the size limit. `run python tests/hostile/corpus.py DIR` writes them for a look by hand.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from model_conformance.schema import default_schema

ROOT = Path(__file__).resolve().parents[2]
REGISTRATION: dict[str, Any] = json.loads((ROOT / "examples" / "registration.json").read_text())
METADATA: dict[str, Any] = REGISTRATION["metadata"]
REQUIRED: list[str] = default_schema().document["required"]
WRONG_VALUES: list[Any] = [None, True, -1, 1.5, "", "x" * 10_000, [], {}, [[[[]]]], {"$ref": "#"}]


def _text_inputs() -> Iterator[tuple[str, bytes]]:
    valid = json.dumps(METADATA, indent=2)
    reg = json.dumps(REGISTRATION, indent=2)
    # Truncated at 30 places: every prefix is broken JSON.
    for n, cut in enumerate(range(1, len(valid), max(1, len(valid) // 30))):
        yield f"truncated-{n:02d}.json", valid[:cut].encode()
    yield "truncated-registration.json", reg[: len(reg) // 2].encode()
    yield "line-comment.json", ("// comment\n" + valid).encode()
    yield "block-comment.json", valid.replace("{", "{ /* c */", 1).encode()
    yield "trailing-comma.json", valid[:-2].encode() + b",\n}"
    yield "single-quotes.json", valid.replace('"', "'").encode()
    yield "duplicate-key.json", valid.replace("{", '{"framework": "jax",', 1).encode()
    for word in ("NaN", "Infinity", "-Infinity"):
        yield f"non-standard-{word}.json", valid.replace("0.91", word).encode()
    yield "overflow-1e400.json", valid.replace("0.91", "1e400").encode()
    yield "overflow-neg.json", valid.replace("1200000", "-1e400").encode()
    yield "int-5000-digits.json", valid.replace("1200000", "9" * 5000).encode()
    yield "int-4300-digits.json", valid.replace("1200000", "9" * 4300).encode()
    yield "float-5000-digits.json", valid.replace("0.91", "0." + "9" * 5000).encode()
    yield "bom-utf8.json", b"\xef\xbb\xbf" + valid.encode()
    yield "bom-utf16le.json", b"\xff\xfe" + valid.encode("utf-16-le")
    yield "bom-utf16be.json", b"\xfe\xff" + valid.encode("utf-16-be")
    yield "utf16le-no-bom.json", valid.encode("utf-16-le")
    yield "utf32.json", valid.encode("utf-32")
    for n, bad in enumerate(
        [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xf0\x28\x8c\xbc", b"\xed\xa0\x80"]
    ):
        yield f"bad-utf8-{n}.json", valid.replace("pytorch", "py", 1).encode() + bad
        yield f"bad-utf8-in-string-{n}.json", valid.encode().replace(b"pytorch", b"py" + bad)
    for n, escape in enumerate(["\\ud800", "\\udfff", "\\udc00x", "x\\ud800"]):
        yield f"surrogate-value-{n}.json", valid.replace("transformer", escape).encode()
        yield f"surrogate-key-{n}.json", valid.replace('"framework"', f'"{escape}"').encode()
    yield "nul-value.json", valid.replace("transformer", "trans\\u0000former").encode()
    yield "nul-key.json", valid.replace('"framework"', '"frame\\u0000work"').encode()
    yield "raw-control-chars.json", valid.replace("transformer", "trans\x01\x07former").encode()
    yield "escaped-controls.json", valid.replace("transformer", "a\\nb\\u001b[31m").encode()
    yield "bidi-override.json", valid.replace("transformer", "\u202etransformer").encode()
    yield "bidi-key.json", valid.replace('"framework"', '"frame\u202ework"').encode()
    yield "zero-width-key.json", valid.replace('"framework"', '"frame\u200bwork"').encode()
    yield "look-alike-key.json", valid.replace('"model_family"', '"m\u043edel_family"').encode()
    yield "newline-in-key.json", valid.replace('"framework"', '"frame\\nwork: MC000"').encode()
    yield "deep-arrays.json", b"[" * 100_000 + b"]" * 100_000
    yield "deep-objects.json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    yield "deep-unclosed.json", b"[" * 100_000
    yield (
        "deep-in-value.json",
        json.dumps(METADATA)
        .replace(
            '"training_config": {', '"training_config": {"x": ' + "[" * 5000 + "]" * 5000 + ", "
        )
        .encode(),
    )
    yield "huge-string.json", json.dumps({**METADATA, "notes": "x" * 10_000_000}).encode()
    yield "long-key.json", json.dumps({"k" * 1_000_000: 1, **METADATA}).encode()
    # Valid JSON of tiny values: parsed, 25 to 48 times its size; refused unparsed (MC311).
    dense = {"dicts": '{"a":1}', "empty-lists": "[]", "empty-dicts": "{}", "nested": "[[[[1]]]]"}
    for name, item in dense.items():
        items = ",".join([item] * (2_400_000 // (len(item) + 1)))
        yield (
            f"dense-{name}.json",
            json.dumps(METADATA)[:-1].encode() + f', "x": [{items}]}}'.encode(),
        )
    # Structure and escapes inside one 10 MB string: a string, valid, never refused.
    for name, text in {"structure": ',{[:"]}', "escaped-quotes": '\\"'}.items():
        piece = json.dumps(text)[1:-1]
        notes = piece * (10_000_000 // len(piece))
        yield (
            f"huge-string-of-{name}.json",
            json.dumps(METADATA)[:-1].encode() + (f', "notes": "{notes}"}}'.encode()),
        )
    yield "many-keys.json", json.dumps({f"k{i}": i for i in range(100_000)}).encode()
    yield "broken-numbers-line.json", b"[" + b"1," * 500_000 + b"x]"
    yield "empty.json", b""
    yield "whitespace.json", b" \n\t\r\n"
    for n, top in enumerate(["[]", '"model"', "42", "null", "true", "[{}]"]):
        yield f"top-level-{n}.json", top.encode()
    yield "ref-in-instance.json", json.dumps({**METADATA, "$ref": "http://example.com/x"}).encode()
    yield "schema-in-instance.json", json.dumps({**METADATA, "$schema": "x", "$id": 3}).encode()
    yield "unknown-keys.json", json.dumps({**METADATA, "evaluaton_metrics": {}, "x": 1}).encode()
    for key in REQUIRED:
        for n, wrong in enumerate(WRONG_VALUES):
            yield f"wrong-{key}-{n}.json", json.dumps({**METADATA, key: wrong}).encode()
        missing = {k: v for k, v in METADATA.items() if k != key}
        yield f"missing-{key}.json", json.dumps(missing).encode()
    yield (
        "external-hostile-url.json",
        json.dumps(
            {
                **METADATA,
                "is_external": True,
                "external_source_url": "https://[oops/x",
                "external_source_version": "1" + ".1" * 20_000 + "!",
            }
        ).encode(),
    )
    for n, doc in enumerate(_hostile_registrations()):
        yield f"registration-{n:02d}.json", json.dumps(doc).encode()


def _hostile_registrations() -> Iterator[dict[str, Any]]:
    def changed(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        doc = copy.deepcopy(REGISTRATION)
        edit(doc)
        return doc

    yield REGISTRATION
    yield changed(lambda d: d["artifact"].__setitem__("id", "m" * 3000))
    yield changed(lambda d: d["model_version"].__setitem__("trained_by", "t" * 3000))
    yield changed(lambda d: d["model_version"].__setitem__("trained_by", "ali\x00ce"))
    yield changed(lambda d: d["artifact"].__setitem__("id", "model-\ud800"))
    yield changed(lambda d: d["artifact"].__setitem__("title", "a\nfake: created"))
    yield changed(lambda d: d["model_version"].__setitem__("code_commit_sha", "-" * 40))
    yield changed(lambda d: d["model_version"].__setitem__("code_commit_sha", 10**50))
    yield changed(lambda d: d["model_version"].__setitem__("training_started_at", "9999-99"))
    yield changed(lambda d: d.__setitem__("metadata", []))
    yield changed(lambda d: d.__setitem__("artifact", None))
    yield changed(lambda d: d["artifact"].__setitem__("id", "'; DROP TABLE artifacts; --"))


def write_corpus(folder: Path) -> list[str]:
    """Write every input into `folder`; return the names, in order."""
    names = []
    for name, data in _text_inputs():
        (folder / name).write_bytes(data)
        names.append(name)
    os.mkfifo(folder / "fifo.json")
    (folder / "dir.json").mkdir()
    os.symlink("loop-b.json", folder / "loop-a.json")
    os.symlink("loop-a.json", folder / "loop-b.json")
    os.symlink("/dev/zero", folder / "dev-zero.json")
    with (folder / "sparse-200mb.json").open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: over the limit, costs no disk
    names += ["fifo.json", "dir.json", "loop-a.json", "loop-b.json", "dev-zero.json"]
    names.append("sparse-200mb.json")
    return names


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    print(f"{len(write_corpus(target))} inputs in {target}")
