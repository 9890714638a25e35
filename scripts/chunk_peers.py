#!/usr/bin/env python3
"""Chunking peers for `ingestctl bench-chunk --peers`, on the same files, scored the same way.

Runs LangChain's recursive token splitter, LlamaIndex's SentenceSplitter and semantic-text-splitter's
MarkdownSplitter at 512 cl100k tokens with 64 of overlap, best of N runs each (one thread), and
scores every splitter's chunks, ours included (read from the JSONL files the bench wrote), with the
same definitions:

  overlap %   chunks whose first 40 characters occur in their predecessor (first chunk excluded)
  < floor %   chunks under the floor (64 tokens), the document's last chunk excluded
  max tok     the largest chunk in cl100k tokens
  mid-sent %  chunks that start with a lower-case letter (a cut inside a sentence)

tiktoken downloads its tables on first use; there is no internet here, so the bench writes cl100k's
token list and this script turns it into tiktoken's cache file before importing it.
"""

import argparse
import base64
import hashlib
import json
import os
import struct
import sys
import tempfile
import time

CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def install_tiktoken_cache(tokens_bin: str) -> None:
    cache = os.path.join(tempfile.gettempdir(), "doc-ingest-tiktoken")
    os.makedirs(cache, exist_ok=True)
    target = os.path.join(cache, hashlib.sha1(CL100K_URL.encode()).hexdigest())
    if not os.path.exists(target):
        data = open(tokens_bin, "rb").read()
        lines, at, rank = [], 0, 0
        while at < len(data):
            (n,) = struct.unpack_from("<H", data, at)
            token = data[at + 2 : at + 2 + n]
            lines.append(base64.b64encode(token) + b" " + str(rank).encode())
            at += 2 + n
            rank += 1
        with open(target + ".tmp", "wb") as f:
            f.write(b"\n".join(lines) + b"\n")
        os.replace(target + ".tmp", target)
    os.environ["TIKTOKEN_CACHE_DIR"] = cache


def splitters(max_tokens: int, overlap: int):
    import tiktoken
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from llama_index.core.node_parser import SentenceSplitter
    from semantic_text_splitter import MarkdownSplitter

    enc = tiktoken.get_encoding("cl100k_base")
    lc = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=max_tokens, chunk_overlap=overlap
    )
    li = SentenceSplitter(chunk_size=max_tokens, chunk_overlap=overlap, tokenizer=enc.encode)
    sts = MarkdownSplitter.from_tiktoken_model("gpt-3.5-turbo", max_tokens, overlap)
    return enc, {
        "langchain": lc.split_text,
        "llamaindex": li.split_text,
        "semantic-text-splitter": sts.chunks,
    }


def score(enc, chunks, floor):
    n = len(chunks)
    counts = [len(enc.encode_ordinary(c)) for c in chunks]
    overlapping = sum(1 for prev, c in zip(chunks, chunks[1:]) if c[:40].strip() and c[:40] in prev)
    small = sum(1 for t in counts[:-1] if t < floor)
    mid = sum(1 for c in chunks if c[:1].islower())
    return {
        "chunks": n,
        "overlap_pct": 100.0 * overlapping / max(n - 1, 1),
        "small_pct": 100.0 * small / max(n - 1, 1),
        "max_tokens": max(counts, default=0),
        "mid_pct": 100.0 * mid / max(n, 1),
    }


def line(name, label, mb, secs, s):
    speed = f"{mb / secs:7.2f} MB/s" if secs else "      -     "
    took = f"{secs:8.3f} s" if secs else "       - s"
    print(
        f"  {name:<22} {label:<22} {mb:6.2f} MB {took} {speed}  {s['chunks']:6d} chunks"
        f"  overlap {s['overlap_pct']:5.1f} %  <floor {s['small_pct']:4.1f} %  max {s['max_tokens']:4d} tok"
        f"  mid-sentence {s['mid_pct']:4.1f} %",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens-bin", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--overlap", type=int, default=64)
    ap.add_argument("--floor", type=int, default=64)
    ap.add_argument("--ours", action="append", default=[], help="LABEL=SECONDS=FILE.jsonl: our chunks, scored here")
    ap.add_argument("--skip-over-mb", type=float, default=1e9, help="peers skip files larger than this")
    ap.add_argument("files", nargs="+", help="LABEL=PATH")
    args = ap.parse_args()

    install_tiktoken_cache(args.tokens_bin)
    enc, peers = splitters(args.max_tokens, args.overlap)
    texts = []
    for spec in args.files:
        label, path = spec.split("=", 1)
        texts.append((label, open(path, encoding="utf-8").read()))
    sizes = {label: len(text.encode()) / 1e6 for label, text in texts}

    for spec in args.ours:
        label, secs, path = spec.split("=", 2)
        chunks = [json.loads(row)["content"] for row in open(path, encoding="utf-8")]
        line("doc-ingest", label, sizes[label], float(secs), score(enc, chunks, args.floor))

    for name, split in peers.items():
        for label, text in texts:
            if sizes[label] > args.skip_over_mb:
                print(f"  {name:<22} {label:<22} skipped (over {args.skip_over_mb} MB)", flush=True)
                continue
            best, chunks = None, []
            for _ in range(args.runs):
                t = time.perf_counter()
                chunks = split(text)
                took = time.perf_counter() - t
                best = took if best is None else min(best, took)
            line(name, label, sizes[label], best, score(enc, chunks, args.floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
