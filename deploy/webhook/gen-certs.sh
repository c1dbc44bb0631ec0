#!/bin/sh
# Issues the webhook serving certificate with openssl, for clusters without cert-manager.
#
#   deploy/webhook/gen-certs.sh [--out DIR] [--namespace NS] [--service NAME] [--days N]
#                               [--san NAME_OR_IP]... [--apply] [--kubectl CMD]
#
# Writes into DIR (default: a new temporary directory, printed at the end):
#   ca.crt ca.key          a private CA (EC P-256)
#   tls.crt tls.key        the serving certificate for <service>.<ns>.svc(.cluster.local)
#                          and every --san, signed by that CA
#   webhooks.yaml          deploy/webhook/webhooks.yaml with clientConfig.caBundle set and the
#                          cert-manager annotation removed
# With --apply it also creates or replaces the Secret moco-controller-cert (tls.crt, tls.key,
# ca.crt) in NS and applies the namespace, service.yaml and the patched webhooks.yaml.
# Keys are created mode 0600 and never printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="" ns=moco-system svc=moco-webhook-service days=3650 apply=false kubectl=kubectl sans=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --namespace) ns=$2; shift 2 ;;
    --service) svc=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --san) sans="$sans $2"; shift 2 ;;
    --apply) apply=true; shift ;;
    --kubectl) kubectl=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gen-certs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/moco-webhook-certs.XXXXXX")
mkdir -p "$out"
umask 077

# subjectAltName: the Service's names, then extra DNS names or IP addresses.
alt="DNS:$svc.$ns.svc,DNS:$svc.$ns.svc.cluster.local"
for s in $sans; do
  case "$s" in
    *[!0-9.]*) case "$s" in *:*) alt="$alt,IP:$s" ;; *) alt="$alt,DNS:$s" ;; esac ;;
    *) alt="$alt,IP:$s" ;;
  esac
done

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$out/ca.key" -out "$out/ca.crt" -days "$days" -subj "/CN=moco-webhook-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$out/tls.key" -out "$out/tls.csr" -subj "/CN=$svc.$ns.svc" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
  "$alt" > "$out/tls.ext"
openssl x509 -req -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -out "$out/tls.crt" -days "$days" -extfile "$out/tls.ext" 2>/dev/null
rm -f "$out/tls.csr" "$out/tls.ext" "$out/ca.srl"
chmod 0644 "$out/ca.crt" "$out/tls.crt"

# The webhook configurations with the CA bundle (base64 of the CA's PEM, one line).
bundle=$(base64 < "$out/ca.crt" | tr -d '\n')
sed -e '/cert-manager.io\/inject-ca-from/d' -e '/^  annotations:$/d' \
    -e "s|^  clientConfig:\$|  clientConfig:\n    caBundle: $bundle|" \
    "$here/webhooks.yaml" > "$out/webhooks.yaml"
chmod 0644 "$out/webhooks.yaml"

if [ "$apply" = true ]; then
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$ns" | $kubectl apply -f -
  $kubectl -n "$ns" create secret generic moco-controller-cert \
    --from-file=tls.crt="$out/tls.crt" --from-file=tls.key="$out/tls.key" \
    --from-file=ca.crt="$out/ca.crt" --dry-run=client -o yaml | $kubectl apply -f -
  $kubectl apply -f "$here/service.yaml"
  $kubectl apply -f "$out/webhooks.yaml"
fi
echo "$out"
