#!/bin/sh
# Makes a private CA and one TLS certificate per region with the openssl CLI,
# for examples/two-regions-tls.toml or your own deployment.
#
#   examples/make-certs.sh DIR [REGION=SAN ...]
#
# DIR receives ca.pem (give it to every node: [cluster] ca_file or --peer-ca),
# ca.key (keep it offline; it signs new certificates), and REGION.pem and
# REGION.key for each region ([[node]] tls_cert/tls_key or --tls-cert/--tls-key).
# SAN is the name peers and clients use to reach the node, as openssl writes a
# subjectAltName: IP:203.0.113.7 or DNS:eu.db.example.com (comma-separated for
# several). Without REGION=SAN arguments: the two loopback regions of the
# example. An existing CA in DIR is reused, so regions can be added later.
set -eu

dir=${1:?usage: make-certs.sh DIR [REGION=SAN ...]}
shift
[ $# -gt 0 ] || set -- us-east-1=IP:127.0.0.1 eu-west-1=IP:127.0.0.2
days=${DAYS:-825}
mkdir -p "$dir"
umask 077

# Runs openssl quietly, showing its output only when it fails.
quiet() {
  out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
}

if [ ! -f "$dir/ca.pem" ]; then
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days "$days" -subj "/CN=Tandem CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
fi

for arg in "$@"; do
  region=${arg%%=*}
  san=${arg#*=}
  ext="$dir/$region.ext"
  printf '%s\n' "subjectAltName=$san" "extendedKeyUsage=serverAuth" \
    "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$ext"
  quiet openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=$region" -keyout "$dir/$region.key" -out "$dir/$region.csr"
  quiet openssl x509 -req -in "$dir/$region.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -extfile "$ext" \
    -out "$dir/$region.pem"
  rm -f "$dir/$region.csr" "$ext"
  echo "$dir/$region.pem ($san), key $dir/$region.key"
done
chmod 644 "$dir"/*.pem
