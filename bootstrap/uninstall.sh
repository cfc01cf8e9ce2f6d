#!/bin/sh
# tfm1-bootstrap: uninstall.sh
#
# Removes exactly what bootstrap/install.sh created, as listed in ~/.tfm1/bootstrap-receipt:
#
#   sh uninstall.sh --dry-run      # show what would be removed
#   sh uninstall.sh                # ask, then remove
#   curl -fsSL https://raw.githubusercontent.com/tfm1/tfm1/main/bootstrap/uninstall.sh | sh -s -- --yes
#
# POSIX sh, only function definitions until the last line (a download cut short runs nothing). It stands alone, like
# install.sh, so the small helpers both need are repeated here.

# shellcheck disable=SC2016 # fixes quote commands for the user's shell, whose $PATH and $HOME are meant literally

usage() {
    cat <<'EOF'
Remove what tfm1's bootstrap/install.sh created, as listed in ~/.tfm1/bootstrap-receipt.

Usage: sh uninstall.sh [options]

Options:
  -h, --help          show this help and exit
  -y, --yes           do not ask for confirmation (required without a terminal, in CI, or with NONINTERACTIVE)
      --dry-run       print what would be removed and change nothing
      --keep-miniforge
                      keep the Miniforge the installer made (and the environments in it)

Environment variables (for `curl ... | sh`): TFM1_YES=1, TFM1_DRY_RUN=1, TFM1_KEEP_MINIFORGE=1
  CI, NONINTERACTIVE   when set, never prompt (so --yes is needed)

Environments made by `tfm1 setup` inside that Miniforge go with it unless --keep-miniforge; conda
installations that existed before the installer ran are never touched. Shell startup files are not
edited: remove the ~/.tfm1/bin PATH line yourself if you added one.
EOF
}

say() {
    printf '%s\n' "$*"
}

warn() {
    printf 'tfm1: warning: %s\n' "$*" >&2
}

# The CLI's own two-line error: what went wrong, then the fix on its own line.
die() {
    printf 'tfm1: error: %s.\n  fix: %s\n' "$1" "$2" >&2
    exit 1
}

die_usage() {
    printf 'tfm1: error: %s.\n  fix: %s\n' "$1" "see sh uninstall.sh --help" >&2
    exit 2
}

truthy() {
    case "${1:-}" in
        "" | 0 | false | FALSE | False | no | NO | No) return 1 ;;
        *) return 0 ;;
    esac
}

read_options() {
    opt_help=0
    opt_yes=0
    opt_dry_run=0
    opt_keep_miniforge=0
    truthy "${TFM1_YES:-}" && opt_yes=1
    truthy "${TFM1_DRY_RUN:-}" && opt_dry_run=1
    truthy "${TFM1_KEEP_MINIFORGE:-}" && opt_keep_miniforge=1
    while [ $# -gt 0 ]; do
        case "$1" in
            -h | --help) opt_help=1 ;;
            -y | --yes) opt_yes=1 ;;
            --dry-run) opt_dry_run=1 ;;
            --keep-miniforge) opt_keep_miniforge=1 ;;
            *) die_usage "unknown option: $1" ;;
        esac
        shift
    done
}

# The physical path of an existing directory (every symbolic link resolved), empty when it cannot be entered.
physical() {
    (cd -P -- "$1" 2>/dev/null && pwd -P) || true
}

# Why an entry must not be removed, empty when it may: the receipt is a plain file, so nothing in it is trusted
# beyond what install.sh could have written. Only the exact paths install.sh makes are accepted, spelled as it
# spells them, and their folders must physically be where those names say (no symbolic link on the way out).
refusal() {
    case "$2" in
        /*) ;;
        *) printf 'not an absolute path' && return ;;
    esac
    case "$1=$2" in
        "link=$tfm1_dir/bin/tfm1") rf_parent="$home_p/.tfm1/bin" ;;
        "venv=$tfm1_dir/venv" | "dir=$tfm1_dir/bin") rf_parent="$home_p/.tfm1" ;;
        "dir=$tfm1_dir") rf_parent="$home_p" ;;
        # install.sh also honours --miniforge-prefix, but a receipt cannot prove that a folder elsewhere was the
        # one it installed (a conda installation of the user's own looks the same), so only the default goes.
        "miniforge=$HOME/miniforge3") rf_parent="$home_p" ;;
        link=* | venv=* | dir=*)
            case "$2" in
                "$tfm1_dir" | "$tfm1_dir"/*) printf 'not a path the installer creates' ;;
                *) printf 'outside %s' "$tfm1_dir" ;;
            esac
            return
            ;;
        miniforge=*)
            printf 'not %s/miniforge3, where the installer puts Miniforge (remove one you placed elsewhere yourself)' \
                "$HOME"
            return
            ;;
        *) printf 'unknown kind "%s"' "$1" && return ;;
    esac
    if [ "$(physical "${2%/*}")" != "$rf_parent" ]; then
        printf 'its folder is reached through a symbolic link' && return
    fi
    case "$1" in
        link) [ -L "$2" ] || printf 'not a symbolic link' ;;
        venv | miniforge | dir) if [ -L "$2" ]; then printf 'a symbolic link' && return; fi ;;
    esac
    case "$1" in
        venv) [ -f "$2/pyvenv.cfg" ] || printf 'not a virtual environment (no pyvenv.cfg)' ;;
        miniforge)
            if [ ! -d "$2/conda-meta" ]; then
                printf 'not a conda installation (no conda-meta)'
            elif [ -L "$2/.tfm1-bootstrap-installed" ] || [ ! -f "$2/.tfm1-bootstrap-installed" ]; then
                # install.sh marks the Miniforge it installs; one without the mark is the user's own.
                printf 'not installed by install.sh (no .tfm1-bootstrap-installed in it)'
            fi
            ;;
        dir) [ -d "$2" ] || printf 'not a directory' ;;
    esac
}

# The receipt decides what is deleted, so it must be the user's own and writable by nobody else, and so must the
# folder it is in (anyone who can write either could list what they like).
check_receipt() {
    for cr_path in "$tfm1_dir" "$receipt"; do
        [ ! -L "$cr_path" ] ||
            die "$cr_path is a symbolic link, so nothing was removed" "remove what install.sh made by hand"
        # shellcheck disable=SC3067 # -O (owned by me) is in every sh this runs under: dash, bash, zsh, busybox
        [ -O "$cr_path" ] ||
            die "$cr_path is not owned by you, so nothing was removed" "remove what install.sh made by hand"
        cr_mode=$(ls -ld -- "$cr_path") || die "cannot read the permissions of $cr_path" "check it"
        case "${cr_mode%% *}" in
            ?????w* | ????????w*)
                die "$cr_path can be changed by other users, so its list is not trusted and nothing was removed" \
                    "check what it lists, then run: chmod go-w '$cr_path'"
                ;;
        esac
    done
}

# Environments inside a Miniforge root, for the plan: they are removed with it.
list_envs() {
    le_names=""
    for le_env in "$1"/envs/*/; do
        [ -d "$le_env" ] || continue
        le_env="${le_env%/}"
        le_names="$le_names ${le_env##*/}"
    done
    printf '%s' "${le_names# }"
}

# Sorts the receipt: entries to remove (rm_entries) and dir= lines (dirs), both newest first; kept_entries.
read_receipt() {
    rm_entries=""
    kept_entries=""
    dirs=""
    rr_number=0
    while IFS= read -r rr_line || [ -n "$rr_line" ]; do
        rr_number=$((rr_number + 1))
        case "$rr_line" in
            "" | "#"*) continue ;;
            *=*) ;;
            *)
                die "line $rr_number of $receipt is not kind=path: nothing was removed" \
                    "restore the file, or remove what it lists by hand"
                ;;
        esac
        rr_kind="${rr_line%%=*}"
        rr_path="${rr_line#*=}"
        if [ "$rr_kind" = dir ]; then
            dirs="$rr_line
$dirs"
            continue
        fi
        if [ ! -e "$rr_path" ] && [ ! -L "$rr_path" ]; then
            say "  - already gone: $rr_path"
            continue
        fi
        rr_why=$(refusal "$rr_kind" "$rr_path")
        if [ -n "$rr_why" ]; then
            warn "leaving $rr_path alone: $rr_why"
            kept_entries="$kept_entries$rr_line
"
        elif [ "$rr_kind" = miniforge ] && [ "$opt_keep_miniforge" = 1 ]; then
            say "  - keep $rr_path (--keep-miniforge)"
            kept_entries="$kept_entries$rr_line
"
        else
            rr_note=""
            if [ "$rr_kind" = miniforge ]; then
                rr_envs=$(list_envs "$rr_path")
                [ -z "$rr_envs" ] || rr_note=" with its environments: $rr_envs"
            fi
            say "  - remove $rr_kind $rr_path$rr_note"
            # Newest first: the link goes before the venv it points into, the venv before the Python it was made from.
            rm_entries="$rr_line
$rm_entries"
        fi
    done <"$receipt"
}

confirm() {
    [ "$opt_yes" = 1 ] && return 0
    if [ -n "${CI:-}" ]; then
        cf_reason="CI is set"
    elif [ -n "${NONINTERACTIVE:-}" ]; then
        cf_reason="NONINTERACTIVE is set"
    elif ! (: </dev/tty >/dev/tty) 2>/dev/null; then
        cf_reason="there is no terminal to ask on"
    else
        printf 'Remove these? [y/N] ' >/dev/tty
        cf_answer=""
        read -r cf_answer </dev/tty || cf_answer=""
        case "$cf_answer" in
            y | Y | yes | Yes | YES) return 0 ;;
        esac
        say "Nothing was removed."
        exit 1
    fi
    die "$cf_reason and --yes was not given, so nothing was removed" "run it again with --yes (or set TFM1_YES=1)"
}

remove_entries() {
    printf '%s' "$rm_entries" | while IFS= read -r re_line; do
        re_path="${re_line#*=}"
        say "==> Removing $re_path"
        rm -rf "$re_path" || exit 1
    done ||
        die "could not remove everything listed (see above); $receipt still lists what is left" \
            "fix the permissions and run the uninstaller again"
}

# Receipt first (it sits in ~/.tfm1), then the directories the installer made, deepest first, only when empty.
finish() {
    fi_left="$kept_entries"
    if [ -z "$fi_left" ]; then
        rm -f "$receipt"
    fi
    fi_dirs_left=""
    fi_rest="$dirs"
    while [ -n "$fi_rest" ]; do
        fi_line="${fi_rest%%
*}"
        fi_rest="${fi_rest#*
}"
        [ -n "$fi_line" ] || continue
        fi_dir="${fi_line#*=}"
        if [ -n "$(refusal dir "$fi_dir")" ]; then
            continue
        fi
        rmdir "$fi_dir" 2>/dev/null || fi_dirs_left="$fi_line
$fi_dirs_left"
    done
    if [ -n "$fi_left" ]; then
        {
            say "# What tfm1's bootstrap/install.sh created, one kind=path a line."
            say "# bootstrap/uninstall.sh removes exactly these (dir= only when empty); do not edit."
            printf '%s' "$fi_dirs_left"
            printf '%s' "$fi_left"
        } >"$receipt" || die "cannot rewrite $receipt" "check its permissions"
        say "==> Kept (still listed in $receipt):"
        printf '%s' "$fi_left" | sed 's/^[^=]*=/    /'
    fi
}

main() {
    set -u
    read_options "$@"
    if [ "$opt_help" = 1 ]; then
        usage
        exit 0
    fi
    # HOME="" (set but empty) would make the paths below /.tfm1 and /miniforge3.
    case "${HOME:-}" in
        "" | / | [!/]*) die "HOME is '${HOME:-}', not your home folder, so nothing was removed" \
            "set HOME to the absolute path of your home folder and run the uninstaller again" ;;
    esac
    tfm1_dir="$HOME/.tfm1"
    receipt="$tfm1_dir/bootstrap-receipt"
    home_p=$(physical "$HOME")
    [ -n "$home_p" ] || die "cannot enter your home folder $HOME" "check HOME"
    if [ ! -f "$receipt" ] && [ ! -L "$receipt" ]; then
        say "Nothing to remove: $receipt does not exist (tfm1 was not installed by bootstrap/install.sh, or was removed)."
        exit 0
    fi
    check_receipt
    umask 077 # a receipt rewritten below stays writable by its owner only
    say "==> tfm1 uninstaller: what $receipt lists"
    read_receipt
    say "Also: $receipt, and the directories the installer made if they are then empty."
    say "Shell startup files are not touched: remove any ~/.tfm1/bin PATH line you added yourself."
    if [ "$opt_dry_run" = 1 ]; then
        say "Dry run: nothing was removed."
        exit 0
    fi
    confirm
    remove_entries
    finish
    say "==> Done."
}

# Braces: a download cut anywhere in this line leaves an unclosed group, a syntax error, so nothing runs.
{ main "$@"; }
