"""Ground truth from a tagged PDF's own structure tree (read with pdfplumber), and the scores of
a markdown rendering against it: headings, table cells and reading order.

- headings: H and H1–H6 elements (the text beside the blocks one holds, if it holds any);
  one matches when it is on the same page and its words are
  the same (Jaccard ≥ 0.8), each truth heading matched once; a heading split in two or three
  consecutive ones on one side ("Step 1:" / "Enter Personal Information") matches the one
  heading of the other (strict scores, without that, are reported too); precision, recall, F1. Only pages the tree covers count (a
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
NESTED = re.compile(r"H[1-6]?|L|Table|Sect|Art|Part|BlockQuote|TOC")


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
                # A heading or paragraph that holds blocks (InDesign nests tables so) is the
                # text beside them; the blocks are read as blocks.
                inner = [c for c in el.get("children", []) if NESTED.fullmatch(c.get("type", ""))]
                if inner and (kind == "P" or HEADING.fullmatch(kind)):
                    own = dict(el, children=[c for c in el["children"] if c not in inner])
                    text = text_of(own, page_no)
                    if WORD.search(text):
                        if HEADING.fullmatch(kind):
                            truth["headings"].append((page_no, text))
                        truth["blocks"].append(text)
                    for child in inner:
                        walk(child, page_no)
                    return
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


def heading_scores_on(truth, md, joined=True):
    """Heading scores on the pages the tree covers."""
    pages = truth["pages"]
    return heading_scores([(p, t) for p, t in truth["headings"] if p in pages],
                          [(p, t) for p, t in headings_of_markdown(md) if p in pages], joined)


def _jaccard(a, b):
    return len(a & b) / len(a | b) if a and b else 0.0


def _runs(items, used, i, page):
    """Runs of 1–3 consecutive unused items from index i, all on `page`: (indices, words)."""
    out, idx, acc = [], [], set()
    for j in range(i, min(i + 3, len(items))):
        if j in used or items[j][0] != page:
            break
        idx.append(j)
        acc = acc | items[j][2]
        out.append((list(idx), acc))
    return out


def heading_scores(truth, got, joined=True):
    """Precision, recall and F1 of `got` (page, text) headings against `truth`'s.

    A heading matches one on the same page with the same words (Jaccard ≥ 0.8). With `joined`,
    one heading may also match a run of two or three consecutive headings on its page taken
    together, either way round: a tree that tags "Step 1:" and "Enter Personal Information" as
    two headings and an output that sets them as one line name the same heading, and each
    heading of the run counts as found.
    """
    t_items = [(p, t, words(t)) for p, t in truth]
    g_items = [(p, g, words(g)) for p, g in got]
    t_used, g_used = set(), set()
    width = 3 if joined else 1

    def match(a_items, a_used, b_items, b_used):
        for i, (page, _, aw) in enumerate(a_items):
            if i in a_used or not aw:
                continue
            best = None
            for k in range(len(b_items)):
                if k in b_used or b_items[k][0] != page:
                    continue
                for idx, bw in _runs(b_items, b_used, k, page)[:width]:
                    score = _jaccard(aw, bw)
                    if score >= 0.8 and (best is None or score > best[0] + 1e-9):
                        best = (score, idx)
            if best:
                a_used.add(i)
                b_used.update(best[1])

    match(g_items, g_used, t_items, t_used)
    if joined:  # then an output heading split in two or three for one of the tree's
        match(t_items, t_used, g_items, g_used)
    p = len(g_used) / len(got) if got else (1.0 if not truth else 0.0)
    r = len(t_used) / len(truth) if truth else 1.0
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
