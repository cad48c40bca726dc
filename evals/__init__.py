"""huashu evals: cases as data, expectations, recorded responses, report.

Also the commands `huashu eval` and `huashu feedback export` (agents' feedback as eval cases):
evals imports drafting, so they join the `huashu` group through an entry point (pyproject.toml).
"""
