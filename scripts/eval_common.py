"""What both sides of the retrieval evaluation share: the question set and the hit rule."""
import json
import re
import unicodedata

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}


def normalise(text: str) -> str:
    """Case, Unicode form, dashes, quotes, soft hyphens and whitespace do not decide a hit."""
    t = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES).replace("\u00ad", "")
    t = re.sub(r"\s*-\s*", "-", t)
    return re.sub(r"\s+", " ", t).strip().lower()


def load_questions(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def hit(question, file, page_start, page_end, content):
    """(page-level hit, phrase-level hit) for one returned chunk."""
    if file != question["file"] or page_start is None:
        return False, False
    end = page_end if page_end is not None else page_start
    page = any(page_start <= p <= end for p in question["pages"])
    return page, page and normalise(question["phrase"]) in normalise(content)


def metrics(first_hits, n):
    """recall@1/5/10 and MRR from the 1-based rank of each question's first hit (None: missed)."""
    out = {}
    for k in (1, 5, 10):
        out[f"recall@{k}"] = sum(1 for r in first_hits if r is not None and r <= k) / n
    out["mrr"] = sum(1.0 / r for r in first_hits if r is not None and r <= 10) / n
    return out
