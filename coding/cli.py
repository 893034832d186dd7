"""Command line: a thin click group over the library (parse options, call, report, exit code)."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import click

from . import __version__
from .ingest import DEFAULT_MAX_CHARS
from .process_setup import pandera_without_hypothesis

FUTURE_GRACE_DAYS = 2  # publication dates later than the build date plus this are ignored


def _coders():
    from .rulebook import RuleError
    from .rules_cache import load_coders_cached

    try:
        return load_coders_cached()
    except RuleError as err:
        raise click.ClickException(f"invalid rules: {err}") from None


def _coders_on_demand():
    """The rules of a build: loaded only if this process codes (see rules_cache.CodersOnDemand)."""
    from .rulebook import RuleError
    from .rules_cache import CodersOnDemand

    try:
        return CodersOnDemand()
    except RuleError as err:
        raise click.ClickException(f"invalid rules: {err}") from None


@click.group()
@click.version_option(__version__, prog_name="cameo-acled-coder")
@click.option("-v", "--verbose", is_flag=True, help="Log rejected documents and other details.")
def main(verbose: bool) -> None:
    """Rule-based CAMEO and ACLED event coder and dataset builder."""
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(message)s")
    # The coder does no linear algebra: one BLAS thread, so that importing numpy does not start (and spin)
    # an OpenBLAS thread per core, in this process and in the workers it starts (they inherit it).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _build_date() -> dt.date:
    """Today, or the date of SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise click.ClickException(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from None
    return dt.date.today()


_SHOWN_REJECTIONS = 20


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on the terminal (rich, transient); None (no bar, and rich not imported) when the
    output is not a terminal."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True, disable=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda n: bar.advance(task, n)


@main.command()
@click.option("--input", "inputs", multiple=True, type=click.Path(path_type=Path),
              help="Input file or folder (repeatable). Default: seeds/.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Output folder (replaced atomically; only a dataset or an empty folder is replaced).")
@click.option("--max-chars", type=click.IntRange(min=1), default=DEFAULT_MAX_CHARS, show_default=True,
              help="Reject documents longer than this many characters (after HTML is stripped).")
@click.option("--strict", is_flag=True, help="Fail (exit 1, write nothing) if any input document is rejected.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes coding documents (default: all cores); 1 codes in this process. Same output.")
@click.option("--incremental", is_flag=True,
              help="Reuse documents coded by earlier builds with the same rules (cache beside the compiled rules).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: this machine's processes; dask: a Dask cluster (a LocalCluster of --workers processes "
                   "unless --scheduler is given). Same output.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="With --engine dask: the address of a running Dask scheduler, e.g. tcp://host:8786.")
def build(inputs: tuple[Path, ...], out: Path, max_chars: int, strict: bool, workers: int | None,
          incremental: bool, engine: str, scheduler: str | None) -> None:
    """Code every input document, validate, and write Parquet + CSV + manifest.

    Exit code 0 when the dataset was written; 1 when it could not be built (unreadable input, a CSV
    without a text column, a failed validation, or a rejected document under --strict): then nothing
    is written and the previous dataset stays as it was."""
    from .build import Settings, build as run_build
    from .ingest import IngestError, Limits, preflight
    from .parallel import WorkerError
    from .write import OutputError, check_output

    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    engine_errors: tuple[type[Exception], ...] = ()
    if engine == "dask":
        try:
            from .dask_engine import EngineError
        except ImportError as err:
            raise click.ClickException(f"--engine dask needs the dask and distributed packages: {err}") from None
        engine_errors = (EngineError,)
        # distributed logs every worker start and stop at INFO; show its messages only as verbosely as ours
        logging.getLogger("distributed").setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    limits = Limits(max_chars=max_chars, latest_date=_build_date() + dt.timedelta(days=FUTURE_GRACE_DAYS))
    settings = Settings(inputs=inputs or (Path("seeds"),), out=out, limits=limits, strict=strict,
                        workers=workers or os.cpu_count() or 1, incremental=incremental,
                        engine=engine, scheduler=scheduler)
    started = time.perf_counter()
    try:
        preflight(list(settings.inputs))  # fail before the rules load, not midway
        check_output(out)
        coders = _coders_on_demand()
        pandera_without_hypothesis()
        gc.freeze()  # what the imports made lives as long as the process: no full collection walks it again
        with _progress("coding") as advance:
            result = run_build(settings, coders, progress=advance)
    except (IngestError, OutputError, WorkerError, *engine_errors) as err:
        raise click.ClickException(str(err)) from None
    elapsed = time.perf_counter() - started
    for file, line, doc_id, reason in result.rejections[:_SHOWN_REJECTIONS]:
        click.echo(f"rejected {file}{f':{line}' if line else ''} ({doc_id}): {reason}", err=True)
    if len(result.rejections) > _SHOWN_REJECTIONS:
        click.echo(f"... and {len(result.rejections) - _SHOWN_REJECTIONS} more rejected (see documents.csv)", err=True)
    parts = " + ".join(f"{v} {k}" for k, v in result.statuses.items())
    noted = f" ({result.n_noted} coded with a note in reason)" if result.n_noted else ""
    n_rejected = result.statuses["rejected"]
    click.echo(f"documents: {result.counts['documents']} inputs = {parts}{noted}")
    if incremental:
        click.echo(f"incremental: {result.reused} documents taken from the cache of coded documents")
    if not result.report.ok:
        _print_report(result.report)
        raise click.ClickException("the dataset failed validation; nothing was written")
    if not result.written:
        raise click.ClickException(f"--strict: {n_rejected} document{'s' * (n_rejected != 1)} rejected; nothing was written")
    click.echo(
        f"built {out}: {result.n_sentences} sentences, {result.counts['mentions']} mentions, "
        f"{result.counts['events']} events, {result.counts['acled_events']} ACLED events in {elapsed:.2f}s ({result.n_sentences / elapsed:.0f} sentences/s)"
    )


def _names_a_file(path: Path) -> bool:
    """A text longer than a file name may be ("File name too long") is a text, not a path."""
    try:
        return path.is_file()
    except OSError:
        return False


@main.command()
@click.argument("text_or_file")
@click.option("--date", "date", default=None, help="Publication date YYYY-MM-DD (resolves 'on Wednesday').")
@click.option("--explain", is_flag=True, help="Show tokens, actor and action spans and the rules that fired.")
def code(text_or_file: str, date: str | None, explain: bool) -> None:
    """Print the mentions coded from one text (or a text file)."""
    from .pipeline import code_document
    from .records import Document

    path = Path(text_or_file)
    text = text_or_file
    if _names_a_file(path):
        from .decode import NotText, decode
        try:
            text, _ = decode(path.read_bytes())
        except NotText as err:
            raise click.ClickException(f"{path}: {err}") from None
    try:
        pub = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise click.BadParameter(f"{date!r} is not YYYY-MM-DD", param_hint="--date") from None
    coders = _coders()
    trace: list = []
    result = code_document(Document("cli", text, "<cli>", publication_date=pub), coders, trace if explain else None)
    if explain:
        for t in trace:
            click.echo(f"[{t.index}] {t.text}")
            click.echo("  tokens:  " + " ".join(t.tokens))
            for a in t.actors:
                click.echo(f"  actor:   {a.text!r} -> {a.code} tokens {a.start}-{a.end} rules {';'.join(a.rule_ids)}")
            for g in t.groups:
                names = " + ".join(m.code for m in g.members)
                click.echo(f"  group:   {names} tokens {g.start}-{g.end} prep={g.preposition} possessive={g.possessive}")
            for a in t.actions:
                click.echo(f"  action:  {' '.join(t.tokens[i] for i in a.tokens)!r} -> {a.code} {a.rule_id}"
                           f"{' (passive)' if a.passive else ''}")
            if t.discard:
                click.echo(f"  discarded by {t.discard}")
    if not result.mentions:
        click.echo("no events")
    for m in result.mentions:
        click.echo(
            f"{m.modality:12} {m.actor_code:>10} {m.cameo_code:>5} {m.target_code or '-':>10}  "
            f"{m.event_date or '-'} (p{m.date_precision or '-'})  {m.location_country or '-'}  "
            f"{m.acled_event_type or '-'} / {m.acled_sub_event_type or '-'}  "
            f"[{m.actor_text} | {m.action_text} | {m.target_text or ''}]"
        )
        if explain:
            click.echo(f"{'':12} ACLED actors: {m.actor_acled or '-'} -> {m.target_acled or '-'}")
            click.echo(f"{'':12} rules: {m.rule_ids}")


def _print_report(report) -> None:
    by_check: dict[tuple, list] = {}
    for f in report.failures:
        by_check.setdefault((f.table, f.check, f.column), []).append(f)
    for (table, check, column), fails in sorted(by_check.items(), key=lambda kv: str(kv[0])):
        click.echo(f"{table}: check '{check}'" + (f" on column '{column}'" if column else "") + f": {len(fails)} failing", err=True)
        for f in fails[:20]:
            click.echo(f"    row {f.index}: {f.value!r}", err=True)
        if len(fails) > 20:
            click.echo(f"    ... and {len(fails) - 20} more", err=True)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def validate(path: Path) -> None:
    """Check a built dataset folder (or one Parquet/CSV table) against the schemas."""
    from schemas.dataset import validate_path

    try:
        report = validate_path(path)
    except (ValueError, OSError) as err:  # an unreadable table: truncated Parquet, broken CSV
        raise click.ClickException(str(err) if str(path) in str(err) else f"{path}: {err}") from None
    if not report.ok:
        _print_report(report)
        raise click.ClickException(f"{path}: {len(report.failures)} failing checks")
    rows = ", ".join(f"{k} {v}" for k, v in report.rows.items())
    click.echo(f"{path}: valid ({rows} rows)")


_SCORE_LABELS = {
    "acled_notes": [("event_type", "event type"), ("sub_event_type", "sub-event type"), ("event_date", "event date"),
                    ("fatalities", "fatalities"), ("country", "country"), ("location", "location (25 km / name)"),
                    ("actor1_type", "actor 1 type"), ("actor1_name", "actor 1 name (ACLED style)"),
                    ("event_type_macro_f1", "event type macro-F1")],
    "cameo_manual": [("root", "root (top)"), ("root_any", "root (any)"), ("base_any", "3-digit base (any)"),
                     ("code_any", "exact code (any)")],
    "plover": [("source_country", "source country"), ("target_country", "target country"), ("dyad_any", "dyad (any)")],
    "five_class": [("class", "class"), ("class_macro_f1", "class macro-F1"), ("source_span", "source span"),
                   ("target_span", "target span")],
}


@main.command()
@click.argument("gold_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("evaluation"), show_default=True,
              help="Folder for scorecard.json, confusion_*.csv and errors.csv.")
@click.option("--errors", "per_field", type=click.IntRange(0), default=25, show_default=True,
              help="Misses listed per field in errors.csv.")
def evaluate(gold_files: tuple[Path, ...], out: Path, per_field: int) -> None:
    """Score the coder against human-coded gold sets (JSONL with a 'gold' object per line)."""
    import subprocess

    from rich.console import Console
    from rich.table import Table

    from .evaluation.gold import GoldError, read_gold
    from .evaluation.report import evaluate_set, write_reports

    try:
        sets = [read_gold(p) for p in gold_files]
    except GoldError as err:
        raise click.ClickException(str(err)) from None
    coders = _coders()
    results = [evaluate_set(g, coders) for g in sets]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    provenance = {"date": dt.date.today().isoformat(), "commit": commit, "coder_version": __version__,
                  "rules_sha256": coders.rules_sha256,
                  "command": "python -m coding evaluate " + " ".join(str(p) for p in gold_files)}
    write_reports(results, out, per_field, provenance)
    console = Console()
    for r in results:
        table = Table(title=f"{r.gold.name} ({r.gold.kind}, {r.scores['documents']} documents)")
        table.add_column("metric")
        table.add_column("score", justify="right")
        table.add_column("n", justify="right")
        table.add_row("coverage", f"{r.scores['coverage']:.3f}", str(r.scores["documents"]))
        for key, label in _SCORE_LABELS[r.gold.kind]:
            value = r.scores.get(key)
            table.add_row(label, "-" if value is None else f"{value:.3f}", str(r.scores.get(f"{key}_n", "")))
        console.print(table)
    click.echo(f"wrote {out / 'scorecard.json'}, {out / 'errors.csv'} and confusion matrices")


@main.group()
def rules() -> None:
    """Check and describe the rules files."""


@rules.command("lint")
def rules_lint() -> None:
    """Check every rules file: loading errors, shadowing patterns, examples that misbehave."""
    from .lint import lint
    from .pipeline import load_coders
    from .rulebook import RuleError

    try:
        coders = load_coders()
    except RuleError as err:
        raise click.ClickException(str(err)) from None
    problems = lint(coders)
    for p in problems:
        click.echo(f"[{p.code}] {p.where}: {p.message}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problems in the rules")
    click.echo(f"rules clean: {len(coders.actions.rules)} action rules and their examples checked")


@rules.command("stats")
def rules_stats() -> None:
    """Print what the rules cover: codes reachable, rules, actor phrases, named people."""
    from .lint import stats

    for key, value in stats(_coders()).items():
        click.echo(f"{key:28} {value:>8,}")


@main.command("schema-docs")
def schema_docs() -> None:
    """Print the data dictionary (Markdown) generated from the schema's field descriptions."""
    from schemas.tables import TABLES, describe

    for table in TABLES:
        click.echo(f"### `{table}`\n\n| column | type | nullable | description |\n|---|---|---|---|")
        for name, dtype, nullable, desc in describe(table):
            click.echo(f"| `{name}` | {dtype} | {'yes' if nullable else 'no'} | {desc} |")
        click.echo("")
