"""Scores PDF → text/markdown on the real corpus (corpus/pdf), ours against PyMuPDF4LLM, in one run.

Per file and overall:
- word recall against pdftotext: the share of pdftotext's distinct words (NFKC, lowercased,
  2+ letters or digits) that the output also holds; ligature words (fi, fl, ff) apart;
- on tagged files, headings against the file's own structure tree (H, H1–H6 elements read with
  pdfplumber): precision, recall, F1, a heading matching when its words are the same (Jaccard
  ≥ 0.8), each truth heading matched once;
- ours: wall time and peak RSS of `ingestctl parse` (one process per file), and RSS against the
  budget of 4× the file + 30 MB.

Usage: corpus_score.py INGESTCTL FILE.pdf...
"""
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pdfplumber
import pymupdf4llm

WORD = re.compile(r"[^\W_]{2,}")
LIGATURE = re.compile("ff|fi|fl")


def words(text):
    return set(WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def recall(truth, got):
    return 1.0 if not truth else len(truth & got) / len(truth)


def headings_of_markdown(md):
    return [m.group(1).strip(" *`") for m in re.finditer(r"^#{1,6}\s+(.+)$", md, re.M)]


def tag_headings(path):
    """Heading texts from the structure tree, or None for an untagged file."""
    out = []
    with pdfplumber.open(path) as pdf:
        tree = pdf.structure_tree
        if not tree:
            return None if "StructTreeRoot" not in str(pdf.doc.catalog.keys()) else []
        pages = {p.page_number: p for p in pdf.pages}
        chars_by_page = {}

        def text_of(el, page_no):
            page_no = el.get("page_number", page_no)
            parts = []
            if el.get("mcids") and page_no in pages:
                if page_no not in chars_by_page:
                    chars_by_page[page_no] = pages[page_no].chars
                wanted = set(el["mcids"])
                parts.append("".join(c["text"] for c in chars_by_page[page_no] if c.get("mcid") in wanted))
            for child in el.get("children", []):
                parts.append(text_of(child, page_no))
            return " ".join(p for p in parts if p)

        def walk(el, page_no):
            page_no = el.get("page_number", page_no)
            if re.fullmatch(r"H[1-6]?", el.get("type", "")):
                text = " ".join(text_of(el, page_no).split())
                if WORD.search(text):
                    out.append(text)
                return
            for child in el.get("children", []):
                walk(child, page_no)

        for el in tree:
            walk(el, 1)
    return out


def heading_scores(truth, got):
    tw = [words(t) for t in truth]
    used = set()
    matched = 0
    for g in got:
        gw = words(g)
        for i, t in enumerate(tw):
            if i not in used and gw and t and len(gw & t) / len(gw | t) >= 0.8:
                used.add(i)
                matched += 1
                break
    p = matched / len(got) if got else (1.0 if not truth else 0.0)
    r = matched / len(truth) if truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


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


def main():
    ingestctl, files = sys.argv[1], [Path(f) for f in sys.argv[2:]]
    who_all = ("ours", "ours, tags ignored", "pymupdf4llm")
    rows, totals = [], {w: [] for w in who_all}
    f1s = {w: [] for w in who_all}
    print("recall: distinct words of pdftotext found; F1: headings against the structure tree (tagged files "
          "with heading elements); path: the parser ours used")
    print(f"{'file':36} {'pages':>5} {'tags':>4} {'path':>12}  {'recall':>6} {'no-tag':>6} {'pymupdf':>7}  "
          f"{'lig':>5}  {'F1':>4} {'no-tag':>6} {'pymupdf':>7}  {'ours s':>6} {'pym s':>6}  {'RSS MB':>6} {'budget':>6}")
    for path in files:
        ref = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout
        truth_words = words(ref)
        lig_truth = {w for w in truth_words if LIGATURE.search(w)}
        md, wall, rss, err, parser = ours(ingestctl, path)
        md_plain = ours(ingestctl, path, "ignore")[0]
        started = time.perf_counter()
        try:
            peer = pymupdf4llm.to_markdown(str(path), show_progress=False)
        except Exception as e:  # a peer's failure is its score, not the run's end
            peer = f"<!-- pymupdf4llm failed: {e} -->"
        peer_wall = time.perf_counter() - started
        with pdfplumber.open(path) as pdf:
            pages = len(pdf.pages)
        tags = tag_headings(path)
        r_ours = recall(truth_words, words(md or ""))
        r_peer = recall(truth_words, words(peer))
        r_plain = recall(truth_words, words(md_plain or ""))
        totals["ours, tags ignored"].append(r_plain)
        lig = recall(lig_truth, words(md or ""))
        totals["ours"].append(r_ours)
        totals["pymupdf4llm"].append(r_peer)
        f_ours = f_peer = f_plain = None
        if tags:  # a tagged file without heading elements scores no headings
            f_ours = heading_scores(tags, headings_of_markdown(md or ""))
            f_plain = heading_scores(tags, headings_of_markdown(md_plain or ""))
            f_peer = heading_scores(tags, headings_of_markdown(peer))
            f1s["ours"].append(f_ours)
            f1s["ours, tags ignored"].append(f_plain)
            f1s["pymupdf4llm"].append(f_peer)
        budget = 4 * path.stat().st_size / 1e6 + 30
        fmt = lambda s: "-" if s is None else f"{s[2]:.2f}"
        print(f"{path.name[:36]:36} {pages:5} {'no' if tags is None else 'yes':>4} {parser or '-':>12}  "
              f"{r_ours:6.3f} {r_plain:6.3f} {r_peer:7.3f}  {lig:5.3f}  {fmt(f_ours):>4} {fmt(f_plain):>6} "
              f"{fmt(f_peer):>7}  {wall:6.2f} {peer_wall:6.2f}  "
              f"{rss if rss is not None else float('nan'):6.1f} {budget:6.1f}" + (f"  FAILED {err}" if err else ""))
        rows.append(path.name)
    n = len(rows)
    print()
    for who in who_all:
        rs = totals[who]
        fs = f1s[who]
        mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
        print(f"{who:18} word recall: mean {mean(rs):.3f}, min {min(rs):.3f}, files ≥ 0.99: "
              f"{sum(r >= 0.99 for r in rs)}/{n};  headings on {len(fs)} tagged files: "
              f"P {mean([f[0] for f in fs]):.2f} R {mean([f[1] for f in fs]):.2f} F1 {mean([f[2] for f in fs]):.2f}")


if __name__ == "__main__":
    main()
