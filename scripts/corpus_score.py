"""Scores PDF → text/markdown on the real corpus (corpus/pdf), ours against PyMuPDF4LLM, in one run.

Per file and overall, for ours (tags followed where usable), ours with tags ignored (the layout
path, scored against the tags it did not read) and PyMuPDF4LLM:
- word recall against pdftotext: the share of pdftotext's distinct words (NFKC, lowercased,
  2+ letters or digits) that the output also holds; ligature words (fi, fl, ff) apart;
- the same against the words both pdftotext and PyMuPDF's plain text extract, page furniture
  aside ("agreed"): a word only one extractor finds is often its artefact (pdftotext runs
  overlapping lines together: "theonnote"; it joins "FAA-" / "approved" as "faaapproved"), and
  running heads and page stamps are dropped on purpose. Furniture here is decided from
  pdftotext's own pages, not from ours: a line that recurs, digits aside, on two pages and a
  third of them or more;
- on tagged files, against the file's own structure tree (see corpus_truth.py): heading F1,
  table-cell accuracy and reading-order agreement;
- ours: wall time and peak RSS of the parser (`ingestctl parse --stats` runs parse-probe, the
  parse Lambda's allocator), and RSS against the budget of 4× the file + 30 MB.

Usage: corpus_score.py INGESTCTL FILE.pdf...
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pdfplumber
import pymupdf
import pymupdf4llm

from corpus_truth import PAGE_MARKER, cell_accuracy, heading_scores_on, order_agreement, structure, words

LIGATURE = re.compile("ff|fi|fl")
WHO = ("ours", "ours, tags ignored", "pymupdf4llm")


def recall(truth, got):
    return 1.0 if not truth else len(truth & got) / len(truth)


def shape(line):
    return re.sub(r"\d+", "#", " ".join(line.split()))


def agreed_words(ref, path):
    """pdftotext's words that PyMuPDF's plain text also holds, less those only in page furniture."""
    pages = [[shape(l) for l in p.splitlines() if l.strip()] for p in ref.split("\f")]
    pages = [p for p in pages if p]
    seen = {}
    for page in pages:
        for s in set(page):
            seen[s] = seen.get(s, 0) + 1
    furniture = {s for s, n in seen.items() if n >= 2 and n * 3 >= len(pages)}
    kept, dropped = set(), set()
    for line in ref.splitlines():
        (dropped if shape(line) in furniture else kept).update(words(line))
    with pymupdf.open(path) as doc:
        plain = words("\n".join(page.get_text() for page in doc))
    return (kept | (words(ref) - dropped)) & plain


def ours(ingestctl, path, tags="use"):
    env = {**os.environ, "DOC_INGEST_PDF_TAGS": tags}
    started = time.perf_counter()
    out = subprocess.run([ingestctl, "parse", str(path)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if out.returncode:
        return None, wall, None, out.stderr.strip().splitlines()[-1], None
    parser = out.stderr.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    stats = subprocess.run([ingestctl, "parse", "--stats", str(path)], capture_output=True, text=True, env=env)
    rss = json.loads(stats.stderr.strip().splitlines()[-1])["peak_rss_mb"]
    return out.stdout, wall, rss, None, parser


def peer(path):
    started = time.perf_counter()
    try:
        pages = pymupdf4llm.to_markdown(str(path), show_progress=False, page_chunks=True)
        # Page markers as ours writes them, for scoring headings per page.
        md = "".join(f"<!-- page {i} -->\n\n{p['text']}\n\n" for i, p in enumerate(pages, 1))
    except Exception as e:  # a peer's failure is its score, not the run's end
        md = f"<!-- pymupdf4llm failed: {e} -->"
    return md, time.perf_counter() - started


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def fmt(x, f="{:.2f}"):
    return "-" if x is None else f.format(x)


def main():
    ingestctl, files = sys.argv[1], [Path(f) for f in sys.argv[2:]]
    recalls = {w: [] for w in WHO}
    agreed = {w: [] for w in WHO}
    scores = {w: {"headings": [], "strict": [], "cells": [], "order": []} for w in WHO}
    structure_rows = []
    print("Text and memory. recall: distinct words of pdftotext found (ours / tags ignored / PyMuPDF4LLM); "
          "agreed: ours against the words pdftotext and PyMuPDF agree on, furniture aside, and of: that set's "
          "share of pdftotext's words; lig: ligature words, ours; path: the parser ours used")
    print(f"{'file':36} {'pages':>5} {'path':>19}  {'recall':>6} {'no-tag':>6} {'pymupdf':>7}  {'agreed':>6} {'of':>4}  {'lig':>5}  "
          f"{'ours s':>6} {'pym s':>6}  {'RSS MB':>6} {'budget':>6}")
    for path in files:
        ref = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout
        truth_words = words(ref)
        lig_truth = {w for w in truth_words if LIGATURE.search(w)}
        md, wall, rss, err, parser = ours(ingestctl, path)
        outputs = {"ours": md or "", "ours, tags ignored": ours(ingestctl, path, "ignore")[0] or ""}
        outputs["pymupdf4llm"], peer_wall = peer(path)
        with pdfplumber.open(path) as pdf:
            pages = len(pdf.pages)
        r = {w: recall(truth_words, words(PAGE_MARKER.sub("", outputs[w]))) for w in WHO}
        consensus = agreed_words(ref, path)
        a = {w: recall(consensus, words(PAGE_MARKER.sub("", outputs[w]))) for w in WHO}
        for w in WHO:
            recalls[w].append(r[w])
            agreed[w].append(a[w])
        budget = 4 * path.stat().st_size / 1e6 + 30
        print(f"{path.name[:36]:36} {pages:5} {parser or '-':>19}  {r['ours']:6.3f} {r['ours, tags ignored']:6.3f} "
              f"{r['pymupdf4llm']:7.3f}  {a['ours']:6.3f} {len(consensus) / max(len(truth_words), 1):4.2f}  {recall(lig_truth, words(md or '')):5.3f}  {wall:6.2f} {peer_wall:6.2f}  "
              f"{rss if rss is not None else float('nan'):6.1f} {budget:6.1f}" + (f"  FAILED {err}" if err else ""))
        truth = structure(path)
        if not truth:
            continue
        row = {"file": path.name}
        for w in WHO:
            out = outputs[w]
            h = heading_scores_on(truth, out) if truth["headings"] else None
            c = cell_accuracy(truth["tables"], out)
            o = order_agreement(truth["blocks"], out)
            strict = heading_scores_on(truth, out, joined=False) if truth["headings"] else None
            row[w] = (h, c, o)
            for key, value in (("headings", h), ("strict", strict), ("cells", c), ("order", o)):
                if value is not None:
                    scores[w][key].append(value)
        row["counts"] = (len(truth["headings"]), sum(len(t) for t in truth["tables"]), len(truth["blocks"]))
        structure_rows.append(row)

    print()
    print("Structure against each tagged file's own tree (ours / tags ignored / PyMuPDF4LLM). F1: headings; "
          "cells: table cells found as cells; order: reading-order agreement (Kendall, 0.5 = unrelated) "
          "and, in brackets, the share of paragraphs located")
    print(f"{'file':36} {'H/cells/paras':>15}  {'F1':>14}  {'cells':>14}  {'order':>32}")
    for row in structure_rows:
        f1 = " ".join(fmt(row[w][0][2] if row[w][0] else None) for w in WHO)
        cells = " ".join(fmt(row[w][1]) for w in WHO)
        order = " ".join(fmt(row[w][2][0]) + fmt(row[w][2][1], "({:.2f})") if row[w][2] else "-" for w in WHO)
        counts = "/".join(str(n) for n in row["counts"])
        print(f"{row['file'][:36]:36} {counts:>15}  {f1:>14}  {cells:>14}  {order:>32}")

    n = len(files)
    print()
    for w in WHO:
        rs, s, ag = recalls[w], scores[w], agreed[w]
        hs = s["headings"]
        print(f"{w:18} word recall: mean {mean(rs):.3f}, min {min(rs):.3f}, files ≥ 0.99: {sum(x >= 0.99 for x in rs)}/{n}"
              f" (agreed words: mean {mean(ag):.3f}, min {min(ag):.3f}, ≥ 0.99: {sum(x >= 0.99 for x in ag)}/{n});"
              f"  headings ({len(hs)} files): P {mean([h[0] for h in hs]):.2f} R {mean([h[1] for h in hs]):.2f} "
              f"F1 {mean([h[2] for h in hs]):.2f} (strict F1 {mean([h[2] for h in s['strict']]):.2f});  cells ({len(s['cells'])} files): {mean(s['cells']):.2f};"
              f"  order ({len(s['order'])} files): {mean([o[0] for o in s['order']]):.2f}")


if __name__ == "__main__":
    main()
