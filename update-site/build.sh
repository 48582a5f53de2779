#!/usr/bin/env bash
# Builds the Fiji update site into target/update-site (see update-site/README.md).
#   update-site/build.sh                  natives: those in the local Maven repository
#   update-site/build.sh --fetch-natives  first asks Maven for the other platforms' libtorch jars
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
extra=()
for a in "$@"; do
  case "$a" in
    --fetch-natives) extra+=(--fetch-natives) ;;
    *) echo "usage: update-site/build.sh [--fetch-natives]" >&2; exit 2 ;;
  esac
done
mvn -B -q -DskipTests package
jar="$(ls target/sam_fiji-*.jar | grep -v -e sources -e javadoc | head -n 1)"
exec java -cp "target/classes:target/lib/*" io.github.samfiji.dist.UpdateSiteBuilder \
  --plugin-jar "$jar" --libraries target/lib --policy update-site/fiji-provided.txt \
  --out target/update-site ${extra[@]+"${extra[@]}"}
