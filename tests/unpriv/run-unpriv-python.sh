#!/bin/bash
# SPDX-License-Identifier: MIT
# Unprivileged tier: Python frames as a user, on the user's own CPython
# (Debian's /usr/bin/python3.11, the interpreter a fresh machine has):
# launched with the backend auto picks, the stacks hold the script's
# functions named "qualname (file.py:firstlineno)" and the summary says
# python 3.11.
here=$(dirname "$0")
. "$here/../lib.sh"
# unpriv-lib.sh enters the user's directory: resolve the script first.
job=$(cd "$top_srcdir/tests/targets" && pwd)/py_shares.py
. "$here/unpriv-lib.sh"
export LC_ALL=C
py=/usr/bin/python3.11
[ -x "$py" ] || skip_all "$py not installed"
user_bin
user_ready
cp "$job" "$UDIR/" && chmod a+r "$UDIR/py_shares.py"

as_user "$UCTOP" -F 499 -o "$UDIR/py.folded" -- "$py" "$UDIR/py_shares.py" 2 \
	>/dev/null 2>"$WORKDIR/py.err"
rc=$?
line=$(grep -n '^def three(' "$UDIR/py_shares.py" | cut -d: -f1)
[ "$rc" = 0 ] && grep -q "python 3.11: Python frames merged" "$WORKDIR/py.err" &&
	grep -qF ";three ($UDIR/py_shares.py:$line);body (" "$UDIR/py.folded"
ok $? "launched as $U_NAME: three() named with its file and line: exit $rc: $(cat "$WORKDIR/py.err")"

as_user "$UCTOP" --python off -F 499 -o "$UDIR/off.folded" -- "$py" \
	"$UDIR/py_shares.py" 1 >/dev/null 2>"$WORKDIR/off.err"
grep -q '_PyEval_EvalFrameDefault' "$UDIR/off.folded" &&
	! grep -q '\.py:[0-9]*)' "$UDIR/off.folded" && ! grep -q 'python 3' "$WORKDIR/off.err"
ok $? "--python off as $U_NAME: native frames only"
done_testing
