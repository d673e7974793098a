// Reads {"pem": SPKI public key PEM, "namespace": ..., "value": ...} as JSON on stdin and
// prints what @linode/kubeseal-encrypt seals (namespace-wide, base64). Values never go
// through argv.
import { encryptSecretItem } from "@linode/kubeseal-encrypt";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { pem, namespace, value } = JSON.parse(input);
process.stdout.write(await encryptSecretItem(pem, namespace, value));
