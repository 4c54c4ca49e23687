"""Pure business rules: no I/O library may be imported here (boto3, chalice, stripe, pynamodb)."""
