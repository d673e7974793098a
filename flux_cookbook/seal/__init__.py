"""`flux-cookbook seal`: a secret's values sealed for the cluster's controller (`sealing`,
the controller's own format), written into the app's SealedSecret (`sealed_secrets`), read
from files, stdin or a prompt (`secret_values`), with the app's `dependsOn` the controller
(`controller_dependency`)."""
