# SPDX-License-Identifier: MIT
# The CPython interpreters the Python tests run on (sourced after
# lib.sh): every 3.11+ found here, pyenv's real ones (not the python3
# shim) and Debian's /usr/bin/python3.11 (libpython linked into the
# executable).
#   for_each_python FN [ARGS...]: calls FN LABEL PY ARGS... for each one
#   installed, and reports an absent one as skipped with the reason.
PYTHON_INTERPS=(
	"pyenv 3.11|$HOME/.pyenv/versions/3.11.*/bin/python3.11"
	"pyenv 3.12|$HOME/.pyenv/versions/3.12.*/bin/python3.12"
	"pyenv 3.13|$HOME/.pyenv/versions/3.13.*/bin/python3.13"
	"Debian 3.11|/usr/bin/python3.11"
)
for_each_python() {
	local fn=$1 e label py
	shift
	for e in "${PYTHON_INTERPS[@]}"; do
		label=${e%%|*}
		# shellcheck disable=SC2086 # the glob picks the patch level
		py=$(ls -d ${e#*|} 2>/dev/null | tail -1)
		if [ -z "$py" ] || [ ! -x "$py" ]; then
			skip "$label" "not installed (${e#*|})"
			continue
		fi
		"$fn" "$label" "$py" "$@"
	done
}
