#!/usr/bin/env python3
"""docs_drift.py - the documentation of the study program checked against
the programs themselves (a CTest test), so that neither can drift:

  docs_drift.py options README PROGRAM_NAME=EXE[:SUBCOMMAND] ...
      every option table of README.md marked <!-- options: NAME --> lists
      exactly the options of `EXE [SUBCOMMAND] --help`, with the same
      defaults where --help shows one.
  docs_drift.py schema SCHEMA_MD CHRONIC_STRESS_EXE TINY_TOML WORK
      every file and JSON field that small runs of TINY_TOML write (a run
      with --keep-checkpoints, a shard, a sweep) is listed in SCHEMA_MD's
      marked field index, and every listed one is written.
  docs_drift.py reports REPORT_EXE DOCS_DIR WORK
      every block of DOCS_DIR/*.md between <!-- report: data/NAME --> and
      <!-- end report --> is text that REPORT_EXE (chronic_stress_report)
      makes from the run committed under DOCS_DIR/data/NAME (its
      summary.json and seeds/): the whole report.md, or with
      <!-- report: data/NAME (excerpt) --> one contiguous part of it.
      Mentions of docs/protocol.md become links in the docs, as in the
      report's own reading there.

Exit status 0 when everything agrees; 1 with one line per difference.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

# ---- options -----------------------------------------------------------------

HELP_LINE = re.compile(r"^\s{2}(?:(-\w),)?(--[\w-]+)(?P<spec>(?: (?! )\S*)*)")
TABLE_OPTION = re.compile(r"`((?:--|-)[\w-]+)")


def help_options(exe, sub):
    """{option: default or None} of `exe [sub] --help` (both spellings of a flag)."""
    cmd = [exe] + ([sub] if sub else []) + ["--help"]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    options = {}
    section = text.split("Options:", 1)[1].split("Subcommands:", 1)[0]
    for line in section.splitlines():
        m = HELP_LINE.match(line)
        if m:
            short, long, spec = m.groups()
            # "--seeds UINT:UINT in [1 - 100000]=10": the default follows the last '='.
            default = spec.rsplit("=", 1)[1] if "=" in spec else None
            options[long] = default
            if short:
                options[short] = default
    return options


def readme_tables(readme):
    """{name: [(options, default text, meaning)]} of the tables after <!-- options: NAME -->."""
    tables, name, rows = {}, None, None
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = re.match(r"<!-- options: (.+?) -->", line)
        if m:
            name, rows = m.group(1), []
            tables[name] = rows
            continue
        if name is None:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) >= 3 and TABLE_OPTION.search(cells[0]):
                rows.append((TABLE_OPTION.findall(cells[0]), cells[1].replace("`", "").strip(), cells[2]))
        elif rows:
            name = None  # the table has ended
    return tables


def check_options(readme, programs):
    problems = []
    tables = readme_tables(pathlib.Path(readme))
    for spec in programs:
        name, target = spec.split("=", 1)
        exe, _, sub = target.partition(":")
        if name not in tables:
            problems.append(f"{readme}: no option table marked <!-- options: {name} -->")
            continue
        helped = help_options(exe, sub)
        documented = {}
        for options, default, _ in tables[name]:
            for o in options:
                documented[o] = default
        for o in sorted(set(helped) - set(documented)):
            problems.append(f"{name}: {o} is in --help but not in the README's table")
        for o in sorted(set(documented) - set(helped)):
            problems.append(f"{name}: the README's table has {o}, which --help does not know")
        for o in sorted(set(helped) & set(documented)):
            shown, written = helped[o], documented[o]
            if shown is None:
                continue
            if o == "--threads" and written == "all cores":
                if shown != str(os.cpu_count()):
                    problems.append(f"{name}: --threads defaults to {shown}, not all {os.cpu_count()} cores")
                continue
            if shown != written:
                problems.append(f"{name}: {o} defaults to {shown!r} in --help, {written!r} in the README")
    return problems


# ---- results schema ----------------------------------------------------------

# Object keys that are names (of arms, metrics, ...), per file: the parent
# path (with placeholders) -> the placeholder its keys become.
NAMES = {
    "seed": {"baseline": "<measure>", "cohort": "<key>", "arms": "<arm>", "arms.<arm>.metrics": "<metric>"},
    "summary": {"baseline": "<measure>", "arms": "<arm>", "arms.<arm>": "<metric>", "longitudinal": "<arm>",
                "diverged": "<arm>", "outcomes": "<arm>", "survival": "<arm>", "logrank": "<A>", "logrank.<A>": "<B>",
                "logrank_stratified": "<A>", "logrank_stratified.<A>": "<B>", "paired": "<A>", "paired.<A>": "<B>",
                "paired.<A>.<B>": "<metric>", "dose": "<arm>", "cox": "<arm>", "logistic": "<arm>",
                "equivalence": "<A>", "equivalence.<A>": "<B>", "equivalence.<A>.<B>": "<metric>"},
    "sweep": {"points[].values": "<key>", "points[].arms": "<arm>"},
    "shard": {},
}
# Keys of a named object that are fixed words, not names (listed as they are).
LITERAL = {"summary": {"paired.<A>.<B>": {"cycle_accuracy", "final_accuracy"}}}
OPAQUE = {"summary": {"config"}}  # documented elsewhere (the configuration schema)
STAT_KEYS = {"mean", "sd", "min", "max", "n", "ci95"}


def field_paths(doc, kind, path="", out=None):
    """Every field path of a JSON document, names replaced by placeholders;
    a statistic object ({mean, sd, min, max, n, ci95}, or lists of them per
    cycle) is one field, written `path (stat)`."""
    out = set() if out is None else out
    if isinstance(doc, dict) and path and "mean" in doc and set(doc) <= STAT_KEYS:
        out.add(path + " (stat)")
        return out
    if path:
        out.add(path)
    if isinstance(doc, dict) and path not in OPAQUE.get(kind, set()):
        placeholder = NAMES[kind].get(path)
        literal = LITERAL.get(kind, {}).get(path, set())
        for key, value in doc.items():
            name = key if key in literal else (placeholder or key)
            field_paths(value, kind, (path + "." if path else "") + name, out)
    elif isinstance(doc, list):
        for value in doc:
            if isinstance(value, (dict, list)):
                field_paths(value, kind, path + "[]", out)
        out.discard(path + "[]")
    return out


def documented_fields(schema_md):
    """{kind: set of paths} of the tables after <!-- fields: KIND --> (first column, in backticks)."""
    kinds, kind = {}, None
    for line in pathlib.Path(schema_md).read_text(encoding="utf-8").splitlines():
        m = re.match(r"<!-- fields: (\w+) -->", line)
        if m:
            kind = m.group(1)
            kinds.setdefault(kind, set())
            continue
        if kind is None:
            continue
        if line.startswith("|"):
            cell = line.strip("|").split("|")[0].strip()
            m = re.fullmatch(r"`([^`]+)`(?: \((stat)\))?", cell)
            if m:
                kinds[kind].add(m.group(1) + (" (stat)" if m.group(2) else ""))
        elif kinds[kind]:
            kind = None
    return kinds


FILE_NAMES = [
    (re.compile(r"seed-\d{3,}\.json$"), "seed-NNN.json"),
    (re.compile(r"seed-\d{3,}$"), "seed-NNN"),
    (re.compile(r"cycle-\d{3}\.npz$"), "cycle-CCC.npz"),
    (re.compile(r"point-\d{2}$"), "point-NN"),
]


def file_paths(root, arms):
    """Every file and directory under root, relative, with seed numbers,
    cycles, points and arm names replaced by placeholders."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            rel = pathlib.Path(dirpath, name).relative_to(root).parts
            parts = []
            for part in rel:
                for pattern, placeholder in FILE_NAMES:
                    if pattern.search(part):
                        part = pattern.sub(placeholder, part)
                        break
                else:
                    if part in arms:
                        part = "<arm>"
                parts.append(part)
            out.add("/".join(parts) + ("/" if name in dirnames else ""))
    return out


def run(exe, *args):
    subprocess.run([exe, *args, "--threads", "2", "-q"], check=True)


def check_schema(schema_md, exe, tiny, work):
    work = pathlib.Path(work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    tiny_text = pathlib.Path(tiny).read_text(encoding="utf-8")
    arms = set(re.findall(r'^name = "([^"]+)"', tiny_text, re.M))
    # The run is a cohort (its seed files then have `cohort`).
    cohort = work / "cohort.toml"
    cohort.write_text(tiny_text + '\n[cohort]\n"longitudinal.remove_fraction" = '
                      '{ distribution = "uniform", low = 0.1, high = 0.2 }\n', encoding="utf-8")
    run(exe, "--config", str(cohort), "--seeds", "2", "--out", str(work / "run"), "--keep-checkpoints")
    run(exe, "--config", tiny, "--seeds", "2", "--out", str(work / "shard"), "--shard", "0/2", "--no-report")
    sweep = work / "sweep.toml"
    sweep.write_text(tiny_text + '\n[sweep]\n"longitudinal.remove_fraction" = [0.1, 0.2]\n', encoding="utf-8")
    run(exe, "--config", str(sweep), "--seeds", "1", "--out", str(work / "sweep"))

    written = {
        "run": file_paths(work / "run", arms),
        "shard": file_paths(work / "shard", arms),
        "sweep": file_paths(work / "sweep", arms),
        "seed": field_paths(json.loads((work / "run" / "seeds" / "seed-000.json").read_text()), "seed"),
        "summary": field_paths(json.loads((work / "run" / "summary.json").read_text()), "summary"),
        "sweep.json": field_paths(json.loads((work / "sweep" / "sweep.json").read_text()), "sweep"),
        "shard.json": field_paths(json.loads((work / "shard" / "shard.json").read_text()), "shard"),
    }
    if shutil.which("gnuplot") is None:  # no figures then: the PNGs cannot be checked here
        for kind in ("run", "sweep"):
            written[kind] |= {"(png)"}
    documented = documented_fields(schema_md)
    problems = []
    for kind, paths in written.items():
        doc_kind = kind.replace(".json", "_json")
        listed = documented.get(doc_kind)
        if listed is None:
            problems.append(f"{schema_md}: no field index marked <!-- fields: {doc_kind} -->")
            continue
        if "(png)" in paths:
            paths = {p for p in paths if p != "(png)"}
            listed = {p for p in listed if not p.endswith(".png")}
        for p in sorted(paths - listed):
            problems.append(f"{doc_kind}: `{p}` is written but not in {schema_md}")
        for p in sorted(listed - paths):
            problems.append(f"{doc_kind}: `{p}` is in {schema_md} but not written")
    return problems


# ---- reports ------------------------------------------------------------------

REPORT_BLOCK = re.compile(r"<!-- report: (data/[\w.-]+)( \(excerpt\))? -->\n(.*?)<!-- end report -->", re.S)


def generated_report(exe, data, work):
    """report.md as REPORT_EXE writes it from a copy of a committed run."""
    copy = work / data.name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data, copy)
    subprocess.run([exe, "--out", str(copy)], check=True, capture_output=True)
    text = (copy / "report.md").read_text(encoding="utf-8")
    return text.replace("docs/protocol.md", "[protocol.md](protocol.md)")


def check_reports(exe, docs, work):
    docs, work = pathlib.Path(docs), pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    problems, blocks, reports = [], 0, {}
    for page in sorted(docs.glob("*.md")):
        for m in REPORT_BLOCK.finditer(page.read_text(encoding="utf-8")):
            blocks += 1
            name, excerpt, text = m.group(1), bool(m.group(2)), m.group(3)
            data = docs / name
            if not (data / "summary.json").is_file():
                problems.append(f"{page.name}: {name} has no summary.json")
                continue
            if name not in reports:
                reports[name] = generated_report(exe, data, work)
            report = reports[name]
            if excerpt and (text.strip() == "" or text not in report):
                problems.append(f"{page.name}: the excerpt of {name}'s report is not what the report code makes "
                                f"from {data} (first lines: {text.strip().splitlines()[:2]})")
            if not excerpt and text != report:
                a, b = text.splitlines(), report.splitlines()
                first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
                problems.append(f"{page.name}: {name}'s report differs from what the report code makes, from line "
                                f"{first + 1} of the block: {a[first:first + 1]} against {b[first:first + 1]}")
    if blocks == 0:
        problems.append(f"no <!-- report: data/NAME --> block found in {docs}")
    return problems


def main(argv):
    if len(argv) >= 3 and argv[1] == "options":
        problems = check_options(argv[2], argv[3:])
    elif len(argv) == 6 and argv[1] == "schema":
        problems = check_schema(*argv[2:])
    elif len(argv) == 5 and argv[1] == "reports":
        problems = check_reports(*argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if not problems:
        print("docs_drift: documentation and programs agree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
