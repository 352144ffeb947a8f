#!/usr/bin/env python3
"""Writes one section of BENCHMARKS.md for Benchmarks/report.sh.

A section lives between `<!-- section:NAME -->` and `<!-- /section:NAME -->`; it is replaced in
place, or appended in the order report.sh knows. Lines of the command's output that start with
`|` are Markdown table rows and are kept as they are; every other run of lines goes in a text block.
"""
import argparse
import os
import re

ORDER = ["age", "vault", "startup", "rotate", "crash", "fault", "fuzz"]
HEADER = """# Benchmarks and harness results

Every figure here was written by `Benchmarks/report.sh` (all sections) or
`Benchmarks/report.sh SECTION…` (some), which runs the scripts named in each section and replaces
that section only. Each section says when it ran, the command, how long it took and the load
average around it (a busy machine makes wall-clock figures noisy; ratios of commands run in turn
are the figures to compare). Times are medians with min–max in brackets.

"""


def render(output: str) -> str:
    blocks, text = [], []
    lines = output.rstrip("\n").split("\n") if output.strip() else ["(no output)"]
    def flush():
        if text:
            while text and not text[-1].strip():
                text.pop()
            if text:
                blocks.append("```text\n" + "\n".join(text) + "\n```")
            text.clear()
    table = []
    for line in lines:
        if line.startswith("|"):
            flush()
            table.append(line)
        else:
            if table:
                blocks.append("\n".join(table))
                table = []
            if text or line.strip():
                text.append(line)
    flush()
    if table:
        blocks.append("\n".join(table))
    return "\n\n".join(blocks)


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ["report", "name", "title", "command", "started", "seconds", "status", "load", "machine", "output"]:
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    with open(args.output, encoding="utf-8", errors="replace") as handle:
        output = handle.read()
    minutes, seconds = divmod(int(args.seconds), 60)
    outcome = "" if args.status == "0" else "\n**The command exited %s: these figures are incomplete.**\n" % args.status
    body = (
        "<!-- section:%s -->\n## %s\n\n" % (args.name, args.title)
        + "`%s` — run %s, took %d min %02d s, load average %s.\n\n" % (args.command, args.started, minutes, seconds, args.load)
        + args.machine + "\n" + outcome + "\n" + render(output) + "\n<!-- /section:%s -->\n" % args.name
    )
    document = open(args.report, encoding="utf-8").read() if os.path.exists(args.report) else HEADER
    pattern = re.compile(r"<!-- section:%s -->.*?<!-- /section:%s -->\n" % (re.escape(args.name), re.escape(args.name)), re.S)
    if pattern.search(document):
        document = pattern.sub(lambda _: body, document)
    else:
        # Insert before the first section that comes later in ORDER, else at the end.
        later = [n for n in ORDER[ORDER.index(args.name) + 1:] if "<!-- section:%s -->" % n in document] if args.name in ORDER else []
        if later:
            marker = "<!-- section:%s -->" % later[0]
            document = document.replace(marker, body + "\n" + marker, 1)
        else:
            document = document.rstrip("\n") + "\n\n" + body
    with open(args.report, "w", encoding="utf-8") as handle:
        handle.write(document)


if __name__ == "__main__":
    main()
