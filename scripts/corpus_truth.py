"""Ground truth from a tagged PDF's own structure tree (read with pdfplumber), and the scores of
a markdown rendering against it: headings, table cells and reading order.

- headings: H and H1–H6 elements; one matches when its words are the same (Jaccard ≥ 0.8),
  each truth heading matched once; precision, recall, F1. Only pages the tree covers count (a
  partly tagged file says nothing about its other pages), so outputs carry page markers.
- table cells: every non-empty TH/TD of every Table; accuracy is the share found as a cell of a
  markdown table with the same words in the same order (each output cell used once).
- reading order: paragraphs, list items and headings outside tables (4 words or more), in tree
  order; each is located in the output by its first words, and the agreement is the share of
  located pairs in the same order (Kendall's tau scaled to 0–1: 1 same order, 0.5 unrelated).
"""
import re
import unicodedata

import pdfplumber

WORD = re.compile(r"[^\W_]{2,}")
HEADING = re.compile(r"H[1-6]?")
BLOCK = re.compile(r"P|LI|LBody|H[1-6]?")


def words(text):
    return set(WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def word_list(text):
    return WORD.findall(unicodedata.normalize("NFKC", text).lower())


def _chars_text(chars):
    """Text of chars in drawing order, with a space where the pen jumps or the line changes."""
    out, prev = [], None
    for c in chars:
        if prev is not None:
            size = max(c.get("size", 10), 1)
            if abs(c["top"] - prev["top"]) > size / 2 or c["x0"] - prev["x1"] > 0.2 * size:
                out.append(" ")
        out.append(c["text"])
        prev = c
    return "".join(out)


def structure(path):
    """{"headings", "blocks", "tables"} from the tree, or None for an untagged file."""
    with pdfplumber.open(path) as pdf:
        tree = pdf.structure_tree
        if not tree:
            return None if "StructTreeRoot" not in str(pdf.doc.catalog.keys()) else {
                "headings": [], "blocks": [], "tables": [], "pages": set()}
        pages = {p.page_number: p for p in pdf.pages}
        chars_by_page = {}

        def text_of(el, page_no):
            page_no = el.get("page_number", page_no)
            parts = []
            if el.get("mcids") and page_no in pages:
                if page_no not in chars_by_page:
                    chars_by_page[page_no] = pages[page_no].chars
                wanted = set(el["mcids"])
                parts.append(_chars_text([c for c in chars_by_page[page_no] if c.get("mcid") in wanted]))
            for child in el.get("children", []):
                parts.append(text_of(child, page_no))
            return " ".join(" ".join(p for p in parts if p).split())

        truth = {"headings": [], "blocks": [], "tables": [], "pages": set()}

        def table_cells(el, page_no):
            page_no = el.get("page_number", page_no)
            if el.get("type") in ("TD", "TH"):
                return [text_of(el, page_no)]
            return [c for child in el.get("children", []) for c in table_cells(child, page_no)]

        def walk(el, page_no):
            page_no = el.get("page_number", page_no)
            if "page_number" in el:
                truth["pages"].add(page_no)
            kind = el.get("type", "")
            if kind == "Table":
                truth["tables"].append([c for c in table_cells(el, page_no) if WORD.search(c)])
                return
            if BLOCK.fullmatch(kind) and kind != "LI":  # an item's text is in its LBody
                text = text_of(el, page_no)
                if HEADING.fullmatch(kind) and WORD.search(text):
                    truth["headings"].append((page_no, text))
                truth["blocks"].append(text)
                return
            for child in el.get("children", []):
                walk(child, page_no)

        for el in tree:
            walk(el, 1)
    return truth


PAGE_MARKER = re.compile(r"^<!-- page (\d+) -->$", re.M)


def headings_of_markdown(md):
    """(page, text) of each markdown heading, the page from the markers before it."""
    out, page = [], 1
    for m in re.finditer(r"^<!-- page (\d+) -->$|^#{1,6}\s+(.+)$", md, re.M):
        if m.group(1):
            page = int(m.group(1))
        else:
            out.append((page, m.group(2).strip(" *`")))
    return out


def heading_scores_on(truth, md):
    """Heading scores on the pages the tree covers."""
    pages = truth["pages"]
    return heading_scores([t for p, t in truth["headings"] if p in pages],
                          [t for p, t in headings_of_markdown(md) if p in pages])


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


def markdown_cells(md):
    cells = []
    for line in md.splitlines():
        line = line.strip()
        if line.startswith("|") and not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", line):
            inner = line[1:-1] if line.endswith("|") else line[1:]
            cells.extend(c.replace("<br>", " ").strip() for c in re.split(r"(?<!\\)\|", inner))
    return cells


def cell_accuracy(tables, md):
    """Share of the truth's table cells found as markdown table cells; None without tables."""
    truth = [tuple(word_list(c)) for t in tables for c in t]
    truth = [t for t in truth if t]
    if not truth:
        return None
    available = {}
    for c in markdown_cells(md):
        key = tuple(word_list(c))
        available[key] = available.get(key, 0) + 1
    found = 0
    for t in truth:
        if available.get(t, 0):
            available[t] -= 1
            found += 1
    return found / len(truth)


def order_agreement(blocks, md, probe=4):
    """Kendall agreement (0–1) of the truth's block order with where the blocks are found in the
    output, and the share of blocks found; None with fewer than 3 blocks found."""
    out = word_list(md)
    index = {}
    for i in range(len(out) - probe + 1):
        index.setdefault(tuple(out[i:i + probe]), []).append(i)
    taken = set()
    positions = []
    candidates = [b for b in (word_list(b) for b in blocks) if len(b) >= probe]
    for b in candidates:
        hits = [i for i in index.get(tuple(b[:probe]), []) if i not in taken]
        if hits:
            taken.add(hits[0])
            positions.append(hits[0])
    if len(positions) < 3:
        return None
    n = len(positions)
    concordant = sum(1 for i in range(n) for j in range(i + 1, n) if positions[i] < positions[j])
    return concordant / (n * (n - 1) / 2), len(positions) / len(candidates)
