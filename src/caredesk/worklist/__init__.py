"""PA cases: create from documents or by hand, correct values, attach documents, the worklist."""
