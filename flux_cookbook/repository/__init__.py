"""The one model of a cluster repository, which every capability reads.

What it holds, read once: the files git tracks and what Flux's artifact keeps of them
(`.sourceignore`), each YAML document with its lines (`yaml_lines`), the objects with
their origin (every one, applied or not, and the manifests Flux applies), the apps, each
known by its Kustomization (`apps`), the Flux Kustomizations Flux follows from each cluster's sync and what each
builds (`flux_build`, `built_objects`), and the Flux release the repository runs
(`flux_versions`). `model.read_repository` puts it together. It imports nothing from the
capabilities (adopt, check, seal, update, values) or the commands.
"""
