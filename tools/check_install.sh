#!/usr/bin/env bash
# Prove the install: build the sdist and, from it, the wheel; install the wheel in a fresh venv
# outside the clone; from another directory run what a user runs. Any failure (a data file
# missing from the wheel included) exits non-zero. Called by .ci/run; runs without stdin.
#
# Usage: tools/check_install.sh [PYTHON]   (PYTHON has `build` installed; default .venv/bin/python)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-$REPO/.venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "check_install: FAILED: $*" >&2; exit 1; }

echo "== build the sdist, then the wheel from it"
"$PY" -m build --outdir "$WORK/dist" "$REPO" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "python -m build"; }
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
WHEEL="$(ls "$WORK"/dist/*.whl)"
tar tzf "$SDIST" >"$WORK/sdist.txt"
for part in data/providers.csv examples/happy-path.yaml tools/build_directory.py tests/conftest.py \
            tests/__snapshots__ MANIFEST.in; do
    grep -q "^[^/]*/$part" "$WORK/sdist.txt" || fail "the sdist lacks $part"
done
echo "sdist and wheel: $(basename "$SDIST") $(basename "$WHEEL")"

echo "== install the wheel in a fresh venv outside the clone"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "$WHEEL" >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; fail "pip install the wheel"; }
BIN="$WORK/venv/bin/iqies-onboard"
mkdir "$WORK/elsewhere" && cd "$WORK/elsewhere"
export IQIES_ONBOARD_HOME="$WORK/home-default"
unset PYTHONPATH

echo "== data files and F1 help, from the installed package"
"$WORK/venv/bin/python" "$REPO/tools/check_installed.py" "$REPO/data" </dev/null || fail "installed package checks"

echo "== --version and schema"
want="iqies-onboard $("$WORK/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("iqies-onboard"))')"
[ "$("$BIN" --version)" = "$want" ] || fail "--version is not '$want'"
[ "$("$WORK/venv/bin/python" -m app --version)" = "$want" ] || fail "python -m app --version is not '$want'"
"$BIN" schema </dev/null | "$WORK/venv/bin/python" -c 'import json, sys; json.load(sys.stdin)' || fail "schema is not JSON"

echo "== run --answers on every example, each with its own data directory"
for example in "$REPO"/examples/*.yaml; do
    name="$(basename "$example" .yaml)"
    export IQIES_ONBOARD_HOME="$WORK/home-$name"
    set +e
    "$BIN" run --answers "$example" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err"
    code=$?
    set -e
    if [ "$name" = three-mistakes ]; then  # a file with mistakes: listed, nothing run, exit 2
        [ "$code" = 2 ] || fail "$name: exit $code, expected 2"
    else
        [ "$code" = 0 ] || { cat "$WORK/$name.out" "$WORK/$name.err"; fail "$name: exit $code"; }
        tail -1 "$WORK/$name.out" | grep -q "^Result: reached the expected end" || fail "$name: $(tail -1 "$WORK/$name.out")"
    fi
    ! grep -q Traceback "$WORK/$name.out" "$WORK/$name.err" || fail "$name: a traceback"
    echo "$name: exit $code"
done

echo "== report (the happy path's profile)"
export IQIES_ONBOARD_HOME="$WORK/home-happy-path"
"$BIN" report --profile maria --output "$WORK" </dev/null >"$WORK/report.out" || fail "report"
grep -q "mlopez.practice" "$WORK/readiness-report.md" || fail "the report lacks the User ID"
grep -q "Provider directory:" "$WORK/readiness-report.md" || fail "the report does not say which provider directory"

echo "== directory import (a newer-style UTF-8 download, and a file that is not one)"
export IQIES_ONBOARD_HOME="$WORK/home-import"
printf '%s\n' '"CMS Certification Number (CCN)","Provider Name","Provider Address","City/Town","State","ZIP Code","Provider Type","Processing Date"' \
    '"015009","BURNS NURSING HOME, INC.","701 MONROE STREET NW","RUSSELLVILLE","AL","35653","Medicare and Medicaid","2025-06-01"' \
    '"365005","THE CHATEAU AT MOUNTAIN CREST NURSING & REHAB CTR","2586 LAFEUILLE AVENUE","CINCINNATI","OH","45211","Medicare and Medicaid","2025-06-01"' \
    >"$WORK/NH_ProviderInfo_new.csv"
"$BIN" directory import "$WORK/NH_ProviderInfo_new.csv" </dev/null | grep -q "^Provider directory: CMS Provider Information, 2025-06-01" \
    || fail "directory import"
[ -s "$IQIES_ONBOARD_HOME/provider-directory/providers.csv" ] || fail "directory import wrote no directory"
set +e
"$BIN" directory import "$REPO/README.md" </dev/null 2>"$WORK/import.err"
code=$?
set -e
[ "$code" = 2 ] && [ "$(wc -l <"$WORK/import.err")" = 1 ] || fail "a file that is not a download: exit $code, $(cat "$WORK/import.err")"
"$BIN" run --answers "$REPO/examples/happy-path.yaml" </dev/null >"$WORK/import-run.out" || fail "run after directory import"
"$BIN" report --profile maria --output "$WORK" </dev/null >/dev/null || fail "report after directory import"
grep -q "Provider directory:.*2025-06-01" "$WORK/readiness-report.md" || fail "the report does not name the imported release"

echo "== a closed pipe ends quietly"
export IQIES_ONBOARD_HOME="$WORK/home-pipe"
for args in "schema" "run --answers $REPO/examples/happy-path.yaml"; do
    # shellcheck disable=SC2086
    # with pipefail, a non-zero exit of the command fails here
    lines="$( { "$BIN" $args </dev/null 2>"$WORK/pipe.err" | head -1; } )" || fail "$args | head -1: exit non-zero"
    [ -n "$lines" ] || fail "$args | head -1 printed nothing"
    [ ! -s "$WORK/pipe.err" ] || fail "$args | head -1: $(cat "$WORK/pipe.err")"
done

echo "check_install: the installed wheel works from $WORK/elsewhere"
