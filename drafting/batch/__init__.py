"""Batch checking and rewriting of a template library (话术库) in CSV, XLSX or JSONL.

    huashu batch check library.xlsx --report report.html
    huashu batch rewrite library.csv -o rewritten.csv --concurrency 16 --resume

Modules: `io` (read/write tables, encoding detection), `atomic` (all-or-nothing output),
`rows` (columns and bad rows), `runner` (async rewriting with bounded concurrency, rate limits, dedupe),
`checkpoint` (append-only resume file), `report` (HTML and Markdown), `openai_batch`
(Batch API export/import), `pipeline` (the commands' glue).
"""
