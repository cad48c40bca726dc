"""huashu evals: cases as data, expectations, recorded responses, report."""
