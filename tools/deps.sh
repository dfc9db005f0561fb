#!/usr/bin/env bash
# tools/deps.sh MODE: make sure the Debian packages the project needs are
# installed.
#   run    what `make run` needs: build, PostgreSQL, nginx, curl, python3
#   check  run + what `make check` and `make bench` need: valgrind, clang
#          (sanitizers, fuzzing), pgTAP, wrk, gnuplot, chromium, node, npm
#
# Quick when everything is there: one dpkg-query, no apt call. When
# something is missing: as root, `apt-get update` then one
# `apt-get install`; not root, print the exact command and exit 1.
set -euo pipefail

mode=${1:-run}

run_pkgs=(
	build-essential pkg-config
	libxml2-dev libxml2-utils libsodium-dev libpq-dev libfcgi-dev
	libseccomp-dev libunistring-dev libcmocka-dev
	postgresql postgresql-contrib
	"nginx-light|nginx|nginx-core|nginx-full|nginx-extras"
	python3 curl
)
check_pkgs=(
	valgrind clang libclang-rt-14-dev
	postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
	wrk gnuplot-nox chromium
	nodejs npm
)

case $mode in
run)	want=("${run_pkgs[@]}") ;;
check)	want=("${run_pkgs[@]}" "${check_pkgs[@]}") ;;
*)	echo "usage: $0 run|check" >&2; exit 2 ;;
esac

# Every installed package, and every name an installed package provides
# (nodesource's nodejs provides npm and conflicts with Debian's npm).
declare -A have=()
while read -r status name provides; do
	[[ $status == ii ]] || continue
	have[$name]=1
	provides=${provides//,/ }
	for p in $provides; do
		[[ $p == \(* || $p == *\) || $p == "=" ]] && continue
		have[${p%%:*}]=1
	done
done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null)

missing=()
for alt in "${want[@]}"; do
	found=
	IFS='|' read -r -a names <<<"$alt"
	for n in "${names[@]}"; do
		if [[ -n ${have[$n]:-} ]]; then found=1; break; fi
	done
	[[ -n $found ]] || missing+=("${names[0]}")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if ((EUID != 0)); then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: install them as root with:" >&2
	echo "  sudo sh -c '$cmd'" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	-o Dpkg::Progress-Fancy=0 "${missing[@]}"
echo "deps: done"
