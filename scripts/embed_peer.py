"""The same model in Python sentence-transformers (the reference implementation), on the texts
`ingestctl bench-embed --write-texts` wrote: chunks/s (best of N), peak RSS, and how closely our
vectors agree with its vectors (cosine of each pair, over the first 100 texts). One JSON line."""
import argparse
import json
import os
import resource
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.texts)]
    texts = [r["text"] for r in rows]
    torch.set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    model = SentenceTransformer(a.model_dir, device="cpu")
    load_s = time.perf_counter() - started
    best, vectors = float("inf"), None
    for _ in range(a.runs):
        started = time.perf_counter()
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
        best = min(best, time.perf_counter() - started)
    ours = [(i, np.array(r["vector"], dtype=np.float32)) for i, r in enumerate(rows) if r.get("vector")]
    cos = [float(np.dot(v, vectors[i])) for i, v in ours]
    print(json.dumps({
        "implementation": f"sentence-transformers (torch {torch.__version__})",
        "chunks": len(texts),
        "threads": torch.get_num_threads(),
        "load_s": load_s,
        "best_s": best,
        "chunks_per_s": len(texts) / best,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "agreement_min_cosine": min(cos) if cos else None,
        "agreement_mean_cosine": sum(cos) / len(cos) if cos else None,
    }))


if __name__ == "__main__":
    main()
