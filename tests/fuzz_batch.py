"""Fuzz batch (``make robustness``): random and adversarial documents in JSONL, CSV, TXT and HTML
files, coded by the real ``python -m coding build``; every document must be accounted for, the
dataset (Parquet and CSV) must validate, and nothing may crash.

    python tests/fuzz_batch.py [--documents 10000] [--seed 0] [--keep DIR]

Prints ``inputs tried N / rejected R / coded C / no_events E / duplicate D / crashes K`` and exits 1
when K > 0 (a traceback, a non-zero exit, or a document rejected with a coder error), when a
document is missing from the output, or when the output does not validate.
"""

from __future__ import annotations

import argparse
import codecs
import collections
import csv
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = (ROOT / "seeds" / "000_207b969bab2c243d.txt").read_text(encoding="utf-8")
SENTENCES = [s for s in SEED_TEXT.replace("\n", " ").split(". ") if s]
WORDS = ("Iran Israel attacked Russian President Vladimir Putin said not might police Kenyan arrested protesters "
         "in Nairobi on Monday killing 12 people he and Tehran the government talks with was struck by both sides "
         "U.S. would condemned Hamas Gaza shelled Kharkiv Ukraine troops clashed rebels Mali army 3 killed").split()
FOREIGN = [
    "Le gouvernement a annoncé mardi une nouvelle série de mesures pour lutter contre la hausse des prix, selon "
    "le ministre qui a parlé devant les députés à Paris et les syndicats ont appelé à une grève nationale.",
    "El gobierno anunció el martes que enviará más tropas a la frontera después de los enfrentamientos de la "
    "semana pasada, según fuentes oficiales del ministerio que no quisieron ser identificadas por los medios.",
    "Президент заявил во вторник, что Москва готова к переговорам при посредничестве Турции.",
    "中国外交部发言人周二表示，中方坚决反对对台湾的军售，并将采取必要措施维护国家主权和安全利益。",
]
SPECIAL = ["\u200b", "\u200d", "\ufeff", "\u200f", "\u202e", "\u2066", "\x00", "\x07", "\x1b", "\r", "\x0b", "\x85",
           "\u2028", "İ", "ß", "ﬁ", "e\u0301", "👩‍👩‍👧", "\U0010ffff", "“", "’s", "<p>", "&amp;", "=1+1", "@x", "-", "\\",
           "\t", "...", "Mr.", "U.S.", "\ud800"]
DATES = ["2025-06-19", "2022-02-24T06:00:00Z", "2025-06-19 10:00", "2090-01-01", "1850-01-01", "19/06/2025", "yesterday",
         "", None, 20250619, "2025-13-45", "2025-06-19garbage", "0001-01-01", [2025, 6, 19]]
LANGUAGES = [None, None, None, "en", "en-GB", "English", "fr", "und", "", 7]


def _text(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        return " ".join(rng.choice(SENTENCES) + "." for _ in range(rng.randint(1, 6)))
    if kind < 0.55:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))) + rng.choice([".", "", "?", "!"])
    if kind < 0.75:  # adversarial characters among words
        parts = [rng.choice(WORDS + SPECIAL) for _ in range(rng.randint(1, 50))]
        parts += ["".join(chr(rng.randint(1, 0x10FFFF)) for _ in range(rng.randint(1, 8))) for _ in range(3)]
        rng.shuffle(parts)
        return rng.choice([" ", "", "\n", " \u200b"]).join(parts)
    if kind < 0.80:
        return rng.choice(FOREIGN)
    if kind < 0.85:  # an HTML page or fragment
        body = "".join(f"<p>{rng.choice(SENTENCES)}.</p>" for _ in range(rng.randint(1, 4)))
        return rng.choice([f"<!DOCTYPE html><html><head><title>News</title><script>var a = '<p>';</script></head>"
                           f"<body><nav>Home</nav>{body}</body></html>", f"<div>{body}<br/></div>", f"<p>{body}"])
    if kind < 0.88:
        return rng.choice(["", " ", "\n\t\n", "\u200b\u200b", "\u3000"])
    if kind < 0.92:  # a very long token
        return rng.choice(WORDS) + " " + rng.choice(["x", "9", "-", "Iran", "é", "\u200b"]) * rng.randint(500, 20_000)
    if kind < 0.93:  # a very long sentence
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2_000, 10_000))) + "."
    return rng.choice(["=HYPERLINK(\"http://x\")", "+1 Iran attacked Israel", "@everyone", "-5 police arrested 3"])


def _fields(rng: random.Random, n: int) -> dict:
    fields = {"text": _text(rng)}
    for key, values in [("doc_id", [f"doc-{n}", f"doc-{n}", f"doc-{rng.randint(0, n)}", n, None, "", " x ", ["a"]]),
                        ("publication_date", DATES), ("source", ["AFP", "Reuters", None, "", "=cmd", 3.5]),
                        ("url", [None, "https://example.org/a", "not a url"]), ("title", [None, "Title", "\u202eeltit"]),
                        ("language", LANGUAGES), ("extra", [None, {"a": [1, 2]}])]:
        if rng.random() < 0.8:
            fields[key] = rng.choice(values)
    roll = rng.random()
    if roll < 0.03:
        fields["text"] = rng.choice([None, 42, ["a"], {"t": "x"}, True])
    elif roll < 0.05:
        del fields["text"]
    return fields


def _json_line(rng: random.Random, fields: dict) -> bytes:
    roll = rng.random()
    if roll < 0.03:  # broken JSON
        line = json.dumps(fields)
        return line[: rng.randint(1, max(1, len(line) - 1))].encode("utf-8", "surrogatepass") or b"{"
    if roll < 0.04:
        return rng.choice([b"[1, 2]", b"\"a string\"", b"null", b"42"])
    if roll < 0.05:  # bytes that are not UTF-8, or binary
        return rng.choice([b"{\"text\": \"caf\xe9 \xff\"}", b"\x00\x01\x02 binary", b"\xc3\x28 broken", b"\x89PNG\r\x1a"])
    try:
        return json.dumps(fields, ensure_ascii=rng.random() < 0.5).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only JSON's \u escapes can carry it
        return json.dumps(fields).encode("utf-8")


def _article_bytes(rng: random.Random, text: str) -> bytes:
    roll = rng.random()
    text = text if isinstance(text, str) else ""
    if roll < 0.60:
        return text.encode("utf-8", "replace")
    if roll < 0.70:
        return text.encode("cp1252", "replace")
    if roll < 0.78:
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le", "replace")
    if roll < 0.82:
        return codecs.BOM_UTF8 + text.encode("utf-8", "replace")
    if roll < 0.86:
        return text.encode("utf-8", "replace") + b" \xff\xfe \xc3 " + "é".encode()
    if roll < 0.90:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("a.txt", text.encode("utf-8", "replace"))
        return buf.getvalue()
    if roll < 0.93:
        return b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(200))
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def generate(folder: Path, n_docs: int, seed: int) -> int:
    """Write about n_docs documents (60% JSONL lines, 20% CSV rows, 20% files); return the exact count."""
    rng = random.Random(seed)
    n_jsonl, n_csv = int(n_docs * 0.6), int(n_docs * 0.2)
    n_files = n_docs - n_jsonl - n_csv
    count = 0
    made: list[bytes] = []
    per_file = 200
    for f in range(0, n_jsonl, per_file):
        lines = []
        for _ in range(min(per_file, n_jsonl - f)):
            if made and rng.random() < 0.03:  # an exact duplicate line (same doc_id and text)
                lines.append(rng.choice(made))
            else:
                lines.append(_json_line(rng, _fields(rng, count)))
                made.append(lines[-1])
            count += 1
        data = b"\n".join(lines) + b"\n"
        if f == 0:  # one file in UTF-16 with a byte-order mark (its lines all UTF-8 before)
            data = b"\n".join(line if _utf8(line) else b"{broken" for line in lines) + b"\n"
            data = codecs.BOM_UTF16_LE + data.decode("utf-8").encode("utf-16-le")
        (folder / f"feed_{f // per_file:03d}.jsonl").write_bytes(data)
    for f in range(0, n_csv, per_file):
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(["doc_id", "text", "publication_date", "source"])
        for _ in range(min(per_file, n_csv - f)):
            fields = _fields(rng, count)
            row = [fields.get("doc_id") or "", fields.get("text") if isinstance(fields.get("text"), str) else "",
                   fields.get("publication_date") or "", fields.get("source") or ""]
            writer.writerow(row[: rng.choice([1, 2, 4, 4, 4, 4])] + (["extra"] if rng.random() < 0.05 else []))
            count += 1
        encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "cp1252"])
        (folder / f"table_{f // per_file:03d}.csv").write_bytes(buf.getvalue().encode(encoding, "replace"))
    for i in range(n_files):
        fields = _fields(rng, count)
        suffix = rng.choice([".txt", ".txt", ".txt", ".md", ".html"])
        path = folder / f"article_{i:05d}{suffix}"
        path.write_bytes(_article_bytes(rng, fields.pop("text", "")))
        if rng.random() < 0.3:
            sidecar = json.dumps({k: v for k, v in fields.items() if k != "doc_id"})
            path.with_suffix(".json").write_text(sidecar if rng.random() < 0.9 else sidecar[:5], encoding="utf-8")
        count += 1
    return count


def run(n_docs: int, seed: int, work: Path) -> int:
    inputs, out = work / "inputs", work / "output"
    inputs.mkdir(parents=True)
    expected = generate(inputs, n_docs, seed)
    python = [sys.executable, "-m", "coding"]
    started = time.perf_counter()
    built = subprocess.run([*python, "build", "--input", str(inputs), "--out", str(out)], cwd=ROOT,
                           capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    problems = []
    crashes = 0
    if built.returncode != 0 or "Traceback" in built.stderr:
        crashes += 1
        problems.append(f"build exited {built.returncode}:\n{built.stderr[-3000:]}")
    statuses: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    if (out / "documents.parquet").exists() and built.returncode == 0:
        docs = pd.read_parquet(out / "documents.parquet")
        statuses.update(docs["status"])
        errors = docs["reason"].fillna("").str.startswith("coder error")
        crashes += int(errors.sum())
        problems += [f"coder error: {d} {r}" for d, r in docs.loc[errors, ["doc_id", "reason"]].head(10).itertuples(index=False)]
        not_coded = docs.loc[docs["status"].isin(["rejected", "duplicate"]), "reason"]
        reasons.update(re.sub(r"'[^']*'|\"[^\"]*\"", "X", r).split(":")[0].split(" (")[0].split(" at ")[0] for r in not_coded)
        manifest = json.loads((out / "manifest.json").read_text())
        if not len(docs) == expected == manifest["inputs"] == sum(manifest["documents_by_status"].values()):
            problems.append(f"documents accounted for: {len(docs)} rows, {expected} inputs, manifest {manifest['inputs']}")
        csv_only = work / "csv_only"
        csv_only.mkdir()
        for name in ("mentions", "events", "documents"):
            shutil.copy(out / f"{name}.csv", csv_only / f"{name}.csv")
        for target in (out, csv_only):
            checked = subprocess.run([*python, "validate", str(target)], cwd=ROOT, capture_output=True, text=True)
            if checked.returncode != 0:
                problems.append(f"validate {target.name}: {checked.stderr[-2000:]}")
    print(f"fuzz batch (seed {seed}): build of {expected:,} documents in {elapsed:.1f}s; rejected or duplicate, "
          f"by reason: " + ", ".join(f"{r} {n}" for r, n in reasons.most_common(12)))
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    print(f"inputs tried {expected} / rejected {statuses['rejected']} / coded {statuses['coded']} / "
          f"no_events {statuses['no_events']} / duplicate {statuses['duplicate']} / crashes {crashes}")
    return 1 if crashes or problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="Write the inputs and the dataset here (default: a temporary folder).")
    args = parser.parse_args()
    if args.keep:
        if args.keep.exists():
            shutil.rmtree(args.keep)
        return run(args.documents, args.seed, args.keep)
    with tempfile.TemporaryDirectory(prefix="fuzz-batch-") as tmp:
        return run(args.documents, args.seed, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
