"""The baseline a user would pick instead of doc-ingest, on the same documents and questions:
LlamaIndex with PyMuPDFReader (one document per page), SentenceSplitter(512, 64), the same
embedding model through sentence-transformers (HuggingFaceEmbedding), top-k cosine in memory.

Two variants: LlamaIndex's default (the node's metadata, file path and page, is embedded with its
text) and text only (the metadata is excluded from what is embedded). Prints one JSON object.

Run by scripts/bench-eval.sh in its own venv (.venv-eval, scripts/requirements-eval.txt).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from eval_common import hit, load_questions, metrics  # noqa: E402
from llama_index.core import VectorStoreIndex  # noqa: E402
from llama_index.core.node_parser import SentenceSplitter  # noqa: E402
from llama_index.embeddings.huggingface import HuggingFaceEmbedding  # noqa: E402
from llama_index.readers.file import PyMuPDFReader  # noqa: E402


def run(root, questions, model_dir, text_only):
    files = sorted({q["file"] for q in questions})
    docs = []
    for f in files:
        for d in PyMuPDFReader().load_data(file_path=os.path.join(root, f)):
            d.metadata["file"] = f
            if text_only:
                d.excluded_embed_metadata_keys = list(d.metadata.keys())
            docs.append(d)
    embed = HuggingFaceEmbedding(model_name=model_dir, device="cpu")
    started = time.perf_counter()
    index = VectorStoreIndex.from_documents(
        docs, transformations=[SentenceSplitter(chunk_size=512, chunk_overlap=64)], embed_model=embed
    )
    build_s = time.perf_counter() - started
    retriever = index.as_retriever(similarity_top_k=10)
    first = {"page": [], "phrase": []}
    per_question = []
    for q in questions:
        nodes = retriever.retrieve(q["question"])
        ranks = {"page": None, "phrase": None}
        for rank, n in enumerate(nodes, 1):
            page = int(n.node.metadata["source"])
            p, ph = hit(q, n.node.metadata["file"], page, page, n.node.get_content())
            if p and ranks["page"] is None:
                ranks["page"] = rank
            if ph and ranks["phrase"] is None:
                ranks["phrase"] = rank
        first["page"].append(ranks["page"])
        first["phrase"].append(ranks["phrase"])
        per_question.append({"id": q["id"], **ranks})
    n = len(questions)
    return {
        "chunks": len(index.docstore.docs),
        "build_seconds": round(build_s, 2),
        "page": metrics(first["page"], n),
        "phrase": metrics(first["phrase"], n),
        "questions": per_question,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", required=True)
    ap.add_argument("--root", required=True, help="the repository root the questions' paths are relative to")
    ap.add_argument("--model-dir", required=True)
    a = ap.parse_args()
    qs = load_questions(a.questions)
    out = {
        "llamaindex_default": run(a.root, qs, a.model_dir, text_only=False),
        "llamaindex_text_only": run(a.root, qs, a.model_dir, text_only=True),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
