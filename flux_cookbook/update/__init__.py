"""`flux-cookbook update-all`: every answers file updated, the cluster first, apps in
worker processes (`bulk`, `worker`), ended cleanly on a signal (`interruption`)."""
