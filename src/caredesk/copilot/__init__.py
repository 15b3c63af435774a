"""Grounded question answering over the knowledge base and a case's documents."""
