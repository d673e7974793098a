"""`flux-cookbook check`: the repository as Flux will apply it, each rule family in turn
(YAML, schemas with CEL, builds, references, the convention, chart values), reported as
problems with their file and line (`run.check_repository`); `base` compares with a ref."""
