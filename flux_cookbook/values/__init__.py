"""Chart values that keep up with the chart: `flux-cookbook values outdated` and `values refresh`.

An app carries its chart's whole values.yaml, copied from one chart version; Flux installs
newer versions inside the HelmRelease's range and the copy goes stale. These modules find
the version the values came from and the version Flux installs (versions.py), read and write
the values where the app keeps them (app_values.py), merge the chart's default changes into
them (merge.py), and bring apps up to date one commit each (refresh.py).
"""
