#!/bin/sh
# devenv supervisor shim: runs the service command as a child and restarts it on request,
# so a reload keeps the container, its network and its mounts. POSIX sh (busybox ash, dash,
# bash); needs only /proc and, for waiting, `sleep`.
#
#   SIGHUP         restart: TERM the child's whole process tree, KILL what is left after
#                  $DEVENV_GRACE seconds (default 2), start the command again.
#   SIGTERM/INT    stop: TERM the tree, KILL after the grace, exit with the child's code.
#   child exits    the container stays up (a later save recovers it): one line on stderr
#                  "devenv-supervise: exited with code N ...", status recorded, wait for SIGHUP.
#
# Status: one line in $DEVENV_STATUS (default /tmp/.devenv-supervise), rewritten on every
# change: "<shim pid> <generation> <running|exited|stopping> <child pid> <exit code or ->".
# The tree is found through /proc (PPid), not process groups: `set -m` needs a tty in ash
# and dash. When the shim is PID 1, orphans of the app are re-parented to it and so found too.

status_file=${DEVENV_STATUS:-/tmp/.devenv-supervise}
grace=${DEVENV_GRACE:-2}
gen=0
child=
idler=
code=-
busy=
again=
stopping=

if [ $# -eq 0 ]; then
    echo "devenv-supervise: no command given" >&2
    exit 64
fi

# The command as one quoted string: a trap may run inside a function, where "$@" is not ours.
cmd=
_q="'"
for _arg in "$@"; do
    _rest=$_arg
    _quoted=
    while :; do
        case $_rest in
            *"$_q"*) _quoted="$_quoted${_rest%%"$_q"*}'\\''"; _rest=${_rest#*"$_q"} ;;
            *) _quoted="$_quoted$_rest"; break ;;
        esac
    done
    cmd="$cmd '$_quoted'"
done

write_status() {  # $1 = state
    printf '%s %s %s %s %s\n' "$$" "$gen" "$1" "${child:--}" "$code" > "$status_file" 2>/dev/null || :
}

alive() {  # is process $1 alive (a zombie counts as dead)?
    [ -r "/proc/$1/status" ] || return 1
    while read -r _key _val _rest; do
        case $_key in
            State:) [ "$_val" != Z ]; return ;;
        esac
    done 2>/dev/null < "/proc/$1/status"
    return 1
}

collect_tree() {  # sets $tree to every descendant of this shell (pids, space separated)
    _pairs=
    for _f in /proc/[0-9]*/status; do
        _pid=${_f#/proc/}; _pid=${_pid%/status}
        [ "$_pid" = "$$" ] && continue
        while read -r _key _val _rest; do
            if [ "$_key" = PPid: ]; then _pairs="$_pairs $_pid:$_val"; break; fi
        done 2>/dev/null < "$_f"
    done
    tree=
    _set=" $$ "
    _changed=1
    while [ -n "$_changed" ]; do
        _changed=
        for _p in $_pairs; do
            _pid=${_p%%:*}; _ppid=${_p#*:}
            case $_set in *" $_pid "*) continue ;; esac
            case $_set in
                *" $_ppid "*) _set="$_set$_pid "; tree="$tree $_pid"; _changed=1 ;;
            esac
        done
    done
}

nap() {  # a short sleep; `sleep 0.01` is not POSIX, so fall back to whole seconds
    sleep 0.01 2>/dev/null || sleep 1
}

stop_tree() {  # TERM every descendant, KILL the rest after the grace, reap the child
    collect_tree
    _victims=$tree
    [ -n "$_victims" ] || { child=; idler=; return 0; }
    # shellcheck disable=SC2086
    kill -TERM $_victims 2>/dev/null
    _waited=0
    _limit=$((grace * 100))
    while :; do
        _left=
        for _p in $_victims; do alive "$_p" && _left="$_left $_p"; done
        [ -z "$_left" ] && break
        if [ "$_waited" -ge "$_limit" ]; then
            collect_tree  # anything forked since the TERM goes too
            # shellcheck disable=SC2086
            kill -KILL $_left $tree 2>/dev/null
            break
        fi
        nap
        _waited=$((_waited + 1))
    done
    if [ -n "$child" ]; then
        wait "$child" 2>/dev/null
        code=$?
    fi
    [ -n "$idler" ] && wait "$idler" 2>/dev/null
    child=
    idler=
}

start_child() {
    gen=$((gen + 1))
    code=-
    eval "$cmd &"
    child=$!
    write_status running
}

on_restart() {
    [ -n "$stopping" ] && return 0
    if [ -n "$busy" ]; then again=1; return 0; fi  # a HUP during a restart: once more after it
    busy=1
    again=1
    while [ -n "$again" ]; do
        again=
        write_status stopping
        stop_tree
        start_child
    done
    busy=
}

on_stop() {
    stopping=1
    write_status stopping
    stop_tree
    write_status exited
    [ "$code" = - ] && code=0
    exit "$code"
}

trap on_restart HUP
trap on_stop TERM INT

start_child
while :; do
    if [ -n "$child" ]; then
        waited=$child
        wait "$waited"
        rc=$?
        # A trapped signal also ends `wait`: only a child that is gone and was not
        # replaced by a restart has exited by itself.
        if [ "$waited" = "$child" ] && ! alive "$child"; then
            code=$rc
            echo "devenv-supervise: exited with code $code (pid $child); waiting for a restart" >&2
            child=
            write_status exited
        fi
    else
        sleep 3600 &
        idler=$!
        wait "$idler"
        idler=
    fi
done
