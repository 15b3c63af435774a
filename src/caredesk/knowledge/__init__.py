"""Knowledge base: loader, chunker, embeddings, vector index, BM25 and hybrid retrieval."""
