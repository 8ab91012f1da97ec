#!/usr/bin/env bash
# The demo: what `make demo` runs. It grows with the capabilities that land.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
echo "==> deploykit template (the demo chart, staging values)"
deploykit template "$here/charts/web" -f "$here/values/staging.yaml" --release web -n staging
