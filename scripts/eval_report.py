"""Side by side: ingestctl eval --json (ours) and scripts/eval_llamaindex.py (the baseline)."""
import json
import sys


def load(path):
    with open(path) as f:
        return json.loads(next(line for line in f if line.startswith("{")))


ours, base = load(sys.argv[1]), load(sys.argv[2])
rows = [
    ("doc-ingest, vector", ours["chunks"], ours["vector"]),
    ("doc-ingest, hybrid", ours["chunks"], ours["hybrid"]),
    ("LlamaIndex default", base["llamaindex_default"]["chunks"], base["llamaindex_default"]),
    ("LlamaIndex text only", base["llamaindex_text_only"]["chunks"], base["llamaindex_text_only"]),
]
print(f"{ours['questions']} questions, {ours['documents']} documents, model {ours['model']}")
print(f"{'':22} {'chunks':>6}  {'page R@1':>8} {'R@5':>6} {'R@10':>6} {'MRR':>6}  {'phrase R@1':>10} {'R@5':>6} {'R@10':>6} {'MRR':>6}")
for name, chunks, m in rows:
    p, ph = m["page"], m["phrase"]
    print(
        f"{name:22} {chunks:>6}  {p['recall@1']:>8.3f} {p['recall@5']:>6.3f} {p['recall@10']:>6.3f} {p['mrr']:>6.3f}"
        f"  {ph['recall@1']:>10.3f} {ph['recall@5']:>6.3f} {ph['recall@10']:>6.3f} {ph['mrr']:>6.3f}"
    )
