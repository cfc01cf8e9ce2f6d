#!/bin/sh
# tfm1-bootstrap: install.sh
#
# From a new Apple-silicon Mac to `tfm1 setup`, with the copy attached to a release:
#
#   curl -fsSL https://github.com/tfm1/tfm1/releases/latest/download/install.sh | sh -s -- --yes
#
# A release's copy (made by scripts/stamp-release) installs exactly that release's tfm1 and its locked dependencies,
# every file sha256-checked. This file as it is in a checkout pins no tfm1: it installs only what TFM1_PACKAGE names
# (TFM1_PACKAGE=/path/to/checkout sh bootstrap/install.sh --yes) and refuses to fetch an unpinned tfm1 from PyPI.
#
# Reuses an arm64 conda installation or installs the pinned Miniforge (sha256-checked), installs tfm1 into its own
# virtual environment (~/.tfm1/venv), links ~/.tfm1/bin/tfm1 and runs `tfm1 setup`. What it creates is listed in
# ~/.tfm1/bootstrap-receipt; bootstrap/uninstall.sh removes exactly that.
#
# POSIX sh (also macOS's bash 3.2 as /bin/sh). The file holds only function definitions until its last line: a download
# cut short defines functions and runs nothing.

# shellcheck disable=SC2016 # fixes quote commands for the user's shell, whose $PATH and $HOME are meant literally

pinned() {
    # Must equal tfm1.miniforge_release.VERSION and SHA256["arm64"] (a test checks it): one pin for tfm1 setup and this.
    MINIFORGE_VERSION="25.3.1-0"
    MINIFORGE_SHA256_ARM64="d9eabd1868030589a1d74017b8723b01cf81b5fec1b9da8021b6fa44be7bbeae"
    MINIFORGE_URL_DEFAULT="https://github.com/conda-forge/miniforge/releases/download/$MINIFORGE_VERSION/Miniforge3-$MINIFORGE_VERSION-MacOSX-arm64.sh"
    # The GitHub repository tfm1 is released from; scripts/stamp-release writes the one it releases from here.
    REPOSITORY="tfm1/tfm1"
    LATEST_URL="https://github.com/$REPOSITORY/releases/latest/download/install.sh"
    # The installer a fix tells the user to run again: in a release's copy, that release's own.
    INSTALL_URL="$LATEST_URL"
    MARKER="# tfm1-bootstrap: install.sh"
    MINIFORGE_MARK=".tfm1-bootstrap-installed"  # in the root of a Miniforge this script installed
    # A release's copy of this file (made by scripts/stamp-release) names its version here and installs exactly
    # tfm1==RELEASE_VERSION with the dependencies locked in uv.lock, every file checked against release_requirements'
    # sha256. Empty in a checkout, which installs only what TFM1_PACKAGE names.
    RELEASE_VERSION=""
}

# pip's requirements for this release, each with its sha256 (pip --require-hashes): written by scripts/stamp-release.
release_requirements() {
    cat <<'END_OF_REQUIREMENTS'
END_OF_REQUIREMENTS
}

usage() {
    cat <<'EOF'
Install tfm1 on an Apple-silicon Mac, then run `tfm1 setup`.

Usage: curl -fsSL <url>/install.sh | sh -s -- [options]
       sh install.sh [options]

Options:
  -h, --help                show this help and exit
  -y, --yes                 do not ask for confirmation (required without a terminal, in CI, or with NONINTERACTIVE)
      --profile P           profile for `tfm1 setup` (default: setup's own)
      --name N              environment name for `tfm1 setup` (default: setup's own)
      --miniforge-prefix PATH
                            conda installation to use, or where to install Miniforge
                            (default: an existing arm64 one, else ~/miniforge3)
      --no-verify           pass --no-verify to `tfm1 setup` (skip the smoke test)
      --bundle FILE         install with no network from a file `tfm1 bundle` made with tfm1's wheels in it:
                            Miniforge, tfm1 and the environment all come from it, every file sha256-checked
      --dry-run             print what would be done and change nothing

Environment variables (for `curl ... | sh`; the same as the options above):
  TFM1_YES=1, TFM1_PROFILE=P, TFM1_NAME=N, TFM1_MINIFORGE_PREFIX=PATH, TFM1_NO_VERIFY=1, TFM1_DRY_RUN=1,
  TFM1_BUNDLE=FILE
  TFM1_PACKAGE           install tfm1 from this wheel, checkout directory or URL instead of the release's
                         pinned, hash-checked one (development and CI; needed with a checkout's install.sh)
  TFM1_MINIFORGE_URL     download the Miniforge installer from this URL (a mirror): the pinned sha256 still applies
  TFM1_MINIFORGE_SHA256  sha256 of the file at TFM1_MINIFORGE_URL (only together with it)
  CI, NONINTERACTIVE     when set, never prompt (so --yes is needed)

Creates: ~/miniforge3 (unless an arm64 conda installation exists), ~/.tfm1/venv, ~/.tfm1/bin/tfm1 and
~/.tfm1/bootstrap-receipt. Edits no shell startup file. Undo with bootstrap/uninstall.sh.
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
    printf 'tfm1: error: %s.\n  fix: %s\n' "$1" "see sh install.sh --help" >&2
    exit 2
}

truthy() {
    case "${1:-}" in
        "" | 0 | false | FALSE | False | no | NO | No) return 1 ;;
        *) return 0 ;;
    esac
}

# Quote a word for a command line the user copies, only when it needs it.
quote_word() {
    case "$1" in
        "" | *[!A-Za-z0-9_./=:,+@%-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
        *) printf '%s' "$1" ;;
    esac
}

quote_words() {
    qw_sep=""
    for qw_word in "$@"; do
        printf '%s%s' "$qw_sep" "$(quote_word "$qw_word")"
        qw_sep=" "
    done
}

# "~/x" for paths in the home directory: shorter lines in the plan.
# shellcheck disable=SC2088 # shown to the user, whose shell expands the tilde
tilde() {
    case "$1" in
        "$HOME") printf '~' ;;
        "$HOME"/*) printf '~/%s' "${1#"$HOME"/}" ;;
        *) printf '%s' "$1" ;;
    esac
}

read_options() {
    opt_help=0
    opt_yes=0
    opt_no_verify=0
    opt_dry_run=0
    truthy "${TFM1_YES:-}" && opt_yes=1
    truthy "${TFM1_NO_VERIFY:-}" && opt_no_verify=1
    truthy "${TFM1_DRY_RUN:-}" && opt_dry_run=1
    opt_profile="${TFM1_PROFILE:-}"
    opt_name="${TFM1_NAME:-}"
    opt_prefix="${TFM1_MINIFORGE_PREFIX:-}"
    opt_bundle="${TFM1_BUNDLE:-}"
    while [ $# -gt 0 ]; do
        case "$1" in
            -h | --help) opt_help=1 ;;
            -y | --yes) opt_yes=1 ;;
            --no-verify) opt_no_verify=1 ;;
            --dry-run) opt_dry_run=1 ;;
            --profile | --name | --miniforge-prefix | --bundle)
                case "${2:-}" in
                    "" | -*) die_usage "$1 needs a value" ;;
                esac
                set_option "$1" "$2"
                shift
                ;;
            --profile=* | --name=* | --miniforge-prefix=* | --bundle=*)
                [ -n "${1#*=}" ] || die_usage "${1%%=*} needs a value"
                set_option "${1%%=*}" "${1#*=}"
                ;;
            *) die_usage "unknown option: $(quote_word "$1")" ;;
        esac
        shift
    done
}

set_option() {
    case "$1" in
        --profile) opt_profile="$2" ;;
        --name) opt_name="$2" ;;
        --miniforge-prefix) opt_prefix="$2" ;;
        --bundle) opt_bundle="$2" ;;
    esac
}

read_settings() {
    # HOME="" (set but empty) would make every path below one at the file system's root: /miniforge3, /.tfm1.
    case "${HOME:-}" in
        "" | / | [!/]*) die "HOME is '${HOME:-}', not your home folder, so nothing was installed" "set HOME to the absolute path of your home folder and run the installer again" ;;
    esac
    tfm1_dir="$HOME/.tfm1"
    venv="$tfm1_dir/venv"
    tfm1_exe="$venv/bin/tfm1"
    link="$tfm1_dir/bin/tfm1"
    receipt="$tfm1_dir/bootstrap-receipt"
    package="${TFM1_PACKAGE:-}"
    case "$package" in
        "" | */* | *.whl | . | ..) ;;
        *) die_usage "TFM1_PACKAGE must be a wheel, a directory or a URL: a name would install an unpinned tfm1 from PyPI" ;;
    esac
    if [ -n "$opt_bundle" ]; then
        read_bundle_setting
        package_label="tfm1 from the bundle (its wheels, each checked against the bundle's manifest)"
    elif [ -n "$package" ]; then
        package_label="$package"
    else
        package_label="tfm1 $RELEASE_VERSION (pinned, with its locked dependencies, sha256-checked)"
    fi
    miniforge_url="${TFM1_MINIFORGE_URL:-$MINIFORGE_URL_DEFAULT}"
    miniforge_sha256="$MINIFORGE_SHA256_ARM64"
    if [ -n "${TFM1_MINIFORGE_SHA256:-}" ]; then
        # A mirror may serve another build; the pinned hash is only replaced by one the user states next to the URL.
        [ -n "${TFM1_MINIFORGE_URL:-}" ] || die_usage "TFM1_MINIFORGE_SHA256 is only used together with TFM1_MINIFORGE_URL"
        miniforge_sha256=$(printf '%s' "$TFM1_MINIFORGE_SHA256" | tr 'A-F' 'a-f')
        case "$miniforge_sha256" in
            *[!0-9a-f]*) die_usage "TFM1_MINIFORGE_SHA256 must be 64 hexadecimal digits" ;;
        esac
        [ "${#miniforge_sha256}" -eq 64 ] || die_usage "TFM1_MINIFORGE_SHA256 must be 64 hexadecimal digits"
    fi
    case "$miniforge_url" in
        https://*) ;;
        http://*) warn "TFM1_MINIFORGE_URL is plain http: only the sha256 check protects the download" ;;
        *) die_usage "TFM1_MINIFORGE_URL must be an https:// (or http://) URL" ;;
    esac
}

# --bundle FILE: an absolute path to a readable file; the bundle names its own profile and tfm1.
read_bundle_setting() {
    case "$opt_bundle" in
        /*) ;;
        *) opt_bundle="$(pwd)/$opt_bundle" ;;
    esac
    [ -f "$opt_bundle" ] && [ -r "$opt_bundle" ] ||
        die_usage "--bundle $(quote_word "$opt_bundle") is not a readable file"
    [ -z "$opt_profile" ] || die_usage "--profile cannot be used with --bundle: the bundle holds its profile's lock"
    [ -z "$package" ] || die_usage "TFM1_PACKAGE cannot be used with --bundle: tfm1 comes from the bundle"
}

# The path of this script when it runs from a file (so it can re-run itself); empty when piped into sh.
self_path() {
    if [ -f "$0" ] && grep -q -x -F "$MARKER" "$0" 2>/dev/null; then
        case "$0" in
            /*) printf '%s' "$0" ;;
            *) printf '%s/%s' "$(pwd)" "$0" ;;
        esac
    fi
}

# How to install tfm1 alone where this installer does not apply: this release's version, or a checkout; never
# whatever PyPI has under the name.
tool_install() {
    if [ -n "$RELEASE_VERSION" ]; then
        printf 'pipx install tfm1==%s' "$RELEASE_VERSION"
    else
        printf 'git clone https://github.com/%s && pipx install ./%s' "$REPOSITORY" "${REPOSITORY##*/}"
    fi
}

sysctl_value() {
    (sysctl -n "$1" 2>/dev/null || true)
}

check_host() {
    host_os=$(uname -s 2>/dev/null) || host_os="unknown"
    case "$host_os" in
        Darwin) ;;
        Linux)
            die "this installer is for macOS on Apple silicon, and this is Linux; tfm1 itself (doctor, verify, lock) runs on Linux too" \
                "install tfm1 alone with pipx (https://pipx.pypa.io): $(tool_install)"
            ;;
        *) die "this installer is for macOS on Apple silicon, and this is $host_os" "run it on an Apple-silicon Mac" ;;
    esac
    command -v sysctl >/dev/null 2>&1 ||
        die "sysctl is not on PATH, so the processor cannot be checked" \
            'export PATH="$PATH:/usr/sbin" and run the installer again'
    # hw.optional.arm64 reports the hardware even under Rosetta, where uname -m says x86_64; Intel Macs lack the OID.
    [ "$(sysctl_value hw.optional.arm64)" = 1 ] ||
        die "this Mac has an Intel processor: TensorFlow with Metal GPU support, which tfm1 sets up, needs Apple silicon (M1 or later)" \
            "use an Apple-silicon Mac; tfm1 itself (doctor, verify) installs here with pipx: $(tool_install)"
    [ "$(id -u)" != 0 ] ||
        die "do not run this installer as root or with sudo: it installs into your home directory and needs no administrator rights" \
            "run it again as yourself, without sudo"
}

# Under Rosetta every child would be x86_64 too and TensorFlow would die with "illegal hardware instruction".
check_rosetta() {
    [ "$(sysctl_value sysctl.proc_translated)" = 1 ] || return 0
    rosetta_self=$(self_path)
    if [ -n "$rosetta_self" ] && [ -z "${_TFM1_BOOTSTRAP_REEXEC:-}" ] && command -v arch >/dev/null 2>&1; then
        say "==> This shell runs under Rosetta 2 (x86_64); starting the installer again natively: arch -arm64 /bin/sh $(quote_word "$rosetta_self")"
        _TFM1_BOOTSTRAP_REEXEC=1
        export _TFM1_BOOTSTRAP_REEXEC
        exec arch -arm64 /bin/sh "$rosetta_self" "$@"
    fi
    if [ -n "${_TFM1_BOOTSTRAP_REEXEC:-}" ]; then
        die "this shell still runs under Rosetta 2 after arch -arm64" \
            "open a terminal that is not set to \"Open using Rosetta\" (Finder > Applications > Utilities > Terminal > Get Info) and run the installer there"
    fi
    rosetta_cmd="curl -fsSL $INSTALL_URL | arch -arm64 /bin/sh"
    [ $# -eq 0 ] || rosetta_cmd="$rosetta_cmd -s -- $(quote_words "$@")"
    die "this shell runs under Rosetta 2 (x86_64 emulation): everything installed from it would be x86_64 and TensorFlow would crash with \"illegal hardware instruction\"" \
        "run it natively: $rosetta_cmd (or untick \"Open using Rosetta\" in your terminal's Get Info)"
}

check_tools() {
    macos_version=$(sw_vers -productVersion 2>/dev/null) || macos_version=""
    macos_major="${macos_version%%.*}"
    case "$macos_major" in
        "" | *[!0-9]*)
            die "cannot read the macOS version (sw_vers -productVersion printed \"$macos_version\")" \
                'export PATH="/usr/bin:$PATH" and run the installer again'
            ;;
    esac
    if [ "$macos_version" = 10.16 ]; then
        die "macOS reports version 10.16: SYSTEM_VERSION_COMPAT=1 hides the real version from programs" \
            "unset SYSTEM_VERSION_COMPAT and run the installer again"
    fi
    [ "$macos_major" -ge 12 ] ||
        die "macOS $macos_version is too old: TensorFlow's wheels for Apple silicon need macOS 12 (Monterey) or later" \
            "update macOS (System Settings > General > Software Update), then run the installer again"
    [ -n "$opt_bundle" ] || command -v curl >/dev/null 2>&1 ||
        die "curl is not on PATH" \
            'macOS ships /usr/bin/curl: export PATH="/usr/bin:$PATH" and run the installer again'
}

# Prints "<subdir> <python version>" for a conda installation, from the record of its python package.
conda_root_info() {
    for cri_record in "$1"/conda-meta/python-[0-9]*.json; do
        [ -f "$cri_record" ] || continue
        cri_version="${cri_record##*/python-}"
        cri_version="${cri_version%%-*}"
        cri_subdir=$(sed -n 's/.*"subdir"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$cri_record" | head -n 1)
        printf '%s %s\n' "${cri_subdir:-unknown}" "$cri_version"
        return 0
    done
    return 1
}

python_at_least_310() {
    pal_major="${1%%.*}"
    pal_rest="${1#*.}"
    pal_minor="${pal_rest%%.*}"
    case "$pal_major$pal_minor" in
        "" | *[!0-9]*) return 1 ;;
    esac
    [ "$pal_major" -gt 3 ] || { [ "$pal_major" -eq 3 ] && [ "$pal_minor" -ge 10 ]; }
}

# Sets usable_reason to why a conda installation cannot host tfm1's environment, empty when it can.
check_conda_root() {
    usable_reason=""
    if ! ccr_info=$(conda_root_info "$1"); then
        usable_reason="it is not a conda installation with Python (no conda-meta/python-*.json)"
        return 1
    fi
    ccr_subdir="${ccr_info%% *}"
    ccr_python="${ccr_info#* }"
    if [ "$ccr_subdir" != osx-arm64 ]; then
        usable_reason="it is a $ccr_subdir (not osx-arm64) installation: anything made from it runs under Rosetta and TensorFlow would crash; leave it, or remove it yourself"
        return 1
    fi
    if ! python_at_least_310 "$ccr_python"; then
        usable_reason="its Python $ccr_python is older than 3.10, which tfm1 needs"
        return 1
    fi
    if [ ! -x "$1/bin/python3" ]; then
        usable_reason="it has no bin/python3"
        return 1
    fi
    root_python="$ccr_python"
    return 0
}

receipt_value() {
    [ -f "$receipt" ] || return 1
    sed -n "s/^$1=//p" "$receipt" | head -n 1
}

receipt_has() {
    [ -f "$receipt" ] && grep -q -x -F "$1=$2" "$receipt"
}

receipt_add() {
    receipt_has "$1" "$2" && return 0
    if [ ! -f "$receipt" ]; then
        {
            say "# What tfm1's bootstrap/install.sh created, one kind=path a line."
            say "# bootstrap/uninstall.sh removes exactly these (dir= only when empty); do not edit."
        } >"$receipt" || die "cannot write $receipt" "check the permissions of $tfm1_dir"
    fi
    printf '%s=%s\n' "$1" "$2" >>"$receipt" || die "cannot write $receipt" "check the permissions of $tfm1_dir"
}

# mkdir that records the directories it creates. ~/.tfm1 (where the receipt lives) is made only when something is
# about to be recorded, so a run that stops early leaves nothing behind.
make_dir() {
    [ -d "$1" ] && return 0
    mkdir "$1" || die "cannot create $1" "check the permissions of its parent directory"
    receipt_add dir "$1"
}

# Decide which conda installation to use, without changing anything: miniforge_root and miniforge_action.
find_miniforge() {
    miniforge_action=""
    if [ -n "$opt_prefix" ]; then
        case "$opt_prefix" in
            "~") fm_path="$HOME" ;;
            "~"/*) fm_path="$HOME/${opt_prefix#"~"/}" ;;
            /*) fm_path="$opt_prefix" ;;
            *) fm_path="$(pwd)/$opt_prefix" ;;
        esac
        miniforge_root="${fm_path%/}"
        if [ -e "$miniforge_root" ]; then
            check_conda_root "$miniforge_root" ||
                die "--miniforge-prefix $miniforge_root cannot be used: $usable_reason" \
                    "give an arm64 Miniforge, or a path that does not exist yet to install one there"
            miniforge_action=reuse
            miniforge_python_version="$root_python"
        else
            miniforge_action=install
        fi
    else
        miniforge_root=""
        for fm_candidate in "$(receipt_value miniforge)" "$HOME/miniforge3" "$HOME/mambaforge" \
            /opt/homebrew/Caskroom/miniforge/base /opt/homebrew/miniforge3 "$HOME/miniconda3" /opt/miniconda3 \
            "$HOME/anaconda3" /opt/anaconda3 /usr/local/Caskroom/miniforge/base /usr/local/anaconda3; do
            if [ -z "$fm_candidate" ] || [ ! -d "$fm_candidate" ] || [ "$fm_candidate" = "$miniforge_root" ]; then
                continue
            fi
            if check_conda_root "$fm_candidate"; then
                if [ -z "$miniforge_root" ]; then
                    miniforge_root="$fm_candidate"
                    miniforge_action=reuse
                    miniforge_python_version="$root_python"
                fi
            else
                warn "not using $(tilde "$fm_candidate"): $usable_reason"
            fi
        done
        if [ -z "$miniforge_root" ]; then
            miniforge_root="$HOME/miniforge3"
            miniforge_action=install
            [ ! -e "$miniforge_root" ] ||
                die "$miniforge_root exists but cannot be used (see the warning above)" \
                    "move it away, or pass --miniforge-prefix PATH"
        fi
    fi
    if [ "$miniforge_action" = install ]; then
        case "$miniforge_root" in
            *[[:space:]]*)
                die "Miniforge cannot be installed into a path with spaces ($miniforge_root)" \
                    "pass --miniforge-prefix PATH without spaces"
                ;;
        esac
    fi
}

# Sets tfm1_version ("tfm1 X.Y.Z"), empty when ~/.tfm1/venv holds no working tfm1.
find_tfm1() {
    tfm1_version=""
    [ -x "$tfm1_exe" ] || return 1
    tfm1_version=$("$tfm1_exe" --version </dev/null 2>/dev/null) || tfm1_version=""
    [ -n "$tfm1_version" ]
}

link_state() {
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$tfm1_exe" ]; then
        printf ok
    elif [ -L "$link" ] && receipt_has link "$link"; then
        printf stale
    elif [ -e "$link" ] || [ -L "$link" ]; then
        printf foreign
    else
        printf missing
    fi
}

# The `tfm1 setup` command line: printed in the plan, then run with exactly the same words.
handover() {
    ho_mode="$1"
    set -- setup
    [ -z "$opt_profile" ] || set -- "$@" --profile "$opt_profile"
    [ -z "$opt_bundle" ] || set -- "$@" --bundle "$opt_bundle"
    [ -z "$opt_name" ] || set -- "$@" --name "$opt_name"
    # A real run only gets here after the user said yes to a plan that shows this --yes; setup's stdin is /dev/null.
    if [ "$opt_dry_run" = 1 ]; then
        [ "$opt_yes" = 0 ] || set -- "$@" --yes
    else
        set -- "$@" --yes
    fi
    [ "$opt_no_verify" = 0 ] || set -- "$@" --no-verify
    [ "$opt_dry_run" = 0 ] || set -- "$@" --dry-run
    # CONDA_EXE names the conda installation chosen here, so setup uses it even outside the usual places.
    if [ "$ho_mode" = print ]; then
        [ -z "$opt_prefix" ] || printf 'CONDA_EXE=%s ' "$(quote_words "$miniforge_root/bin/conda")"
        printf '%s %s' "$(tilde "$link")" "$(quote_words "$@")"
    else
        CONDA_EXE="$miniforge_root/bin/conda" "$tfm1_exe" "$@" </dev/null
    fi
}

show_plan() {
    say "==> tfm1 installer"
    say "This will:"
    if [ "$miniforge_action" = install ] && [ -n "$opt_bundle" ]; then
        say "  - take Miniforge $MINIFORGE_VERSION (arm64) from the bundle $(tilde "$opt_bundle")"
        say "    check its sha256 ($miniforge_sha256) and install it into $(tilde "$miniforge_root")"
    elif [ "$miniforge_action" = install ]; then
        say "  - download Miniforge $MINIFORGE_VERSION (arm64) from $miniforge_url"
        say "    check its sha256 ($miniforge_sha256) and install it into $(tilde "$miniforge_root")"
    else
        say "  - use the arm64 conda installation in $(tilde "$miniforge_root") (Python $miniforge_python_version)"
    fi
    replace_venv=0
    if [ -n "$tfm1_version" ] && [ -z "$package" ] && [ -z "$opt_bundle" ] && [ -n "$RELEASE_VERSION" ] &&
        [ "$tfm1_version" != "tfm1 $RELEASE_VERSION" ]; then
        # A release's installer installs its own tfm1, also over another one it made before.
        receipt_has venv "$venv" ||
            die "$venv runs $tfm1_version, not this release's tfm1 $RELEASE_VERSION, and was not made by this installer" \
                "move it away, then run the installer again"
        replace_venv=1
        say "  - replace $(tilde "$venv") ($tfm1_version) with a new one and pip install $package_label into it"
    elif [ -n "$tfm1_version" ]; then
        say "  - keep tfm1 in $(tilde "$venv") ($tfm1_version)"
    elif [ -e "$venv" ] && ! receipt_has venv "$venv"; then
        die "$venv exists, does not run tfm1 and was not made by this installer" \
            "move it away, then run the installer again"
    elif [ -z "$package" ] && [ -z "$opt_bundle" ] && [ -z "$RELEASE_VERSION" ]; then
        die "this install.sh is a checkout's, not a release's: it pins no tfm1, and an unpinned tfm1 from PyPI is not installed" \
            "use a release's installer (curl -fsSL $LATEST_URL | sh -s -- --yes), or install this checkout: TFM1_PACKAGE=/path/to/tfm1-checkout sh bootstrap/install.sh --yes"
    else
        say "  - create $(tilde "$venv") from that Python and pip install $package_label into it"
    fi
    case "$(link_state)" in
        ok) say "  - keep the link $(tilde "$link")" ;;
        foreign) die "$link exists and was not made by this installer" "move it away, then run the installer again" ;;
        *) say "  - link $(tilde "$link") to it" ;;
    esac
    say "  - run: $(handover print)"
    say "It edits no shell startup file; bootstrap/uninstall.sh removes what it creates."
}

# Consent: --yes, or a "y" typed on the terminal. Prompts read /dev/tty because stdin is the script when piped.
confirm() {
    [ "$opt_yes" = 1 ] && return 0
    if [ -n "${CI:-}" ]; then
        cf_reason="CI is set"
    elif [ -n "${NONINTERACTIVE:-}" ]; then
        cf_reason="NONINTERACTIVE is set"
    elif ! (: </dev/tty >/dev/tty) 2>/dev/null; then
        cf_reason="there is no terminal to ask on"
    else
        printf 'Proceed? [y/N] ' >/dev/tty
        cf_answer=""
        read -r cf_answer </dev/tty || cf_answer=""
        case "$cf_answer" in
            y | Y | yes | Yes | YES) return 0 ;;
        esac
        say "Nothing was changed."
        exit 1
    fi
    die "$cf_reason and --yes was not given, so nothing was changed" \
        "run it again with --yes: curl -fsSL $INSTALL_URL | sh -s -- --yes (or set TFM1_YES=1)"
}

sha256_of() {
    if command -v shasum >/dev/null 2>&1; then
        so_out=$(shasum -a 256 "$1") || return 1
    elif command -v sha256sum >/dev/null 2>&1; then
        so_out=$(sha256sum "$1") || return 1
    else
        return 2
    fi
    printf '%s' "${so_out%% *}" | tr 'A-F' 'a-f'
}

download() {
    case "$1" in
        https://*) set -- "$1" "$2" --proto '=https' --proto-redir '=https' --tlsv1.2 ;;
        *) set -- "$1" "$2" --proto '=http,https' ;;
    esac
    dl_url="$1"
    dl_out="$2"
    shift 2
    if [ -t 2 ]; then
        set -- "$@" --progress-bar
    else
        set -- "$@" --silent --show-error
    fi
    curl "$@" --fail --location --retry 3 --output "$dl_out" "$dl_url" </dev/null
}

# shellcheck disable=SC2317,SC2329 # run by the EXIT trap
cleanup() {
    cleanup_status=$?
    if [ -n "${rollback_path:-}" ]; then
        warn "removing the incomplete $rollback_path"
        rm -rf "$rollback_path"
    fi
    [ -z "${work_dir:-}" ] || rm -rf "$work_dir"
    [ -z "${bundle_dir:-}" ] || rm -rf "$bundle_dir"
    exit "$cleanup_status"
}

install_miniforge() {
    work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tfm1-bootstrap.XXXXXX") ||
        die "cannot create a temporary directory" \
            "check that \$TMPDIR is writable"
    # The installer refuses to run unless its file name ends in .sh.
    im_file="$work_dir/Miniforge3-$MINIFORGE_VERSION-MacOSX-arm64.sh"
    if [ -n "$opt_bundle" ]; then
        say "==> Taking Miniforge $MINIFORGE_VERSION from the bundle $(tilde "$opt_bundle")"
        # The bundle keeps it under its sha256, with the name it was downloaded by (unpack_bundle took it out).
        for im_found in "$bundle_dir/files/$miniforge_sha256"/*.sh; do
            [ -f "$im_found" ] && im_file="$im_found"
        done
        [ -f "$im_file" ] ||
            die "the bundle $opt_bundle holds no Miniforge installer with sha256 $miniforge_sha256" \
                "build the bundle again with the tfm1 of this installer (tfm1 bundle), or use a Mac with a network"
    else
        say "==> Downloading Miniforge $MINIFORGE_VERSION from $miniforge_url"
        download "$miniforge_url" "$im_file" ||
            die "could not download $miniforge_url" \
                "check the network connection and run the installer again"
    fi
    im_sum=$(sha256_of "$im_file")
    case $? in
        0) ;;
        2)
            die "neither shasum nor sha256sum is on PATH, so the download cannot be checked" \
                'macOS ships /usr/bin/shasum: export PATH="/usr/bin:$PATH" and run the installer again'
            ;;
        *) die "could not compute the sha256 of $im_file" "run the installer again" ;;
    esac
    if [ "$im_sum" != "$miniforge_sha256" ]; then
        rm -f "$im_file"
        die "the downloaded Miniforge installer has sha256 $im_sum, not the pinned $miniforge_sha256 (a cut-off download or another file); nothing was installed" \
            "run the installer again; if it persists, check TFM1_MINIFORGE_URL or your network's proxy"
    fi
    say "==> sha256 verified; installing Miniforge into $(tilde "$miniforge_root")"
    rollback_path="$miniforge_root"
    bash "$im_file" -b -p "$miniforge_root" </dev/null ||
        die "the Miniforge installer failed (its output is above)" \
            "fix what it reports and run this installer again"
    check_conda_root "$miniforge_root" ||
        die "the new Miniforge in $miniforge_root cannot be used: $usable_reason" \
            "report this with the output above"
    # The mark uninstall.sh asks for before it deletes a Miniforge: a receipt line alone cannot tell this one from a
    # conda installation the user made at the same path.
    # printf, not `:`: a failed redirection of a special built-in such as `:` ends a POSIX shell on the spot, before
    # `|| die` could explain it (POSIX 2.8.1, "Consequences of Shell Errors"). The subshell keeps the shell's own
    # complaint out of the two-line error.
    (printf '' >"$miniforge_root/$MINIFORGE_MARK") 2>/dev/null ||
        die "cannot write $miniforge_root/$MINIFORGE_MARK, so the new Miniforge was removed again" \
            "check the permissions of ${miniforge_root%/*} and run the installer again"
    make_dir "$tfm1_dir"
    rollback_path=""
    receipt_add miniforge "$miniforge_root"
    rm -rf "$work_dir"
    work_dir=""
}

install_tfm1() {
    if [ -n "$tfm1_version" ] && [ "$replace_venv" = 0 ]; then
        say "==> tfm1 is already installed in $(tilde "$venv") ($tfm1_version); kept as it is"
        return 0
    fi
    if [ -e "$venv" ]; then
        # Only one this installer made gets here (show_plan stops on any other).
        if [ "$replace_venv" = 1 ]; then
            say "==> Replacing $(tilde "$venv") ($tfm1_version)"
        else
            say "==> $(tilde "$venv") does not run tfm1; making it again"
        fi
        rm -rf "$venv"
    fi
    say "==> Creating $(tilde "$venv") and installing $package_label"
    make_dir "$tfm1_dir"
    rollback_path="$venv"
    "$miniforge_root/bin/python3" -m venv "$venv" </dev/null ||
        die "could not create the virtual environment $venv" \
            "check the output above, then run the installer again"
    if [ -n "$opt_bundle" ]; then
        # Nothing from an index: only the bundle's files (checked by unpack_bundle), each with a pinned hash.
        set -- --no-index --find-links "$bundle_dir/tfm1" --require-hashes --only-binary :all: \
            -r "$bundle_dir/tfm1/requirements.txt"
    elif [ -n "$package" ]; then
        set -- "$package"
    else
        work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tfm1-bootstrap.XXXXXX") ||
            die "cannot create a temporary directory" "check that \$TMPDIR is writable"
        release_requirements >"$work_dir/requirements.txt" || die "cannot write $work_dir/requirements.txt" "check that \$TMPDIR is writable"
        # Every file pip takes must have one of the listed sha256 (dependencies too); wheels only, so no build step
        # fetches anything unlisted.
        set -- --require-hashes --only-binary :all: -r "$work_dir/requirements.txt"
    fi
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input "$@" </dev/null ||
        die "pip could not install $package_label" \
            "check the network connection (and TFM1_PACKAGE), then run the installer again"
    [ -z "${work_dir:-}" ] || rm -rf "$work_dir"
    work_dir=""
    [ -x "$tfm1_exe" ] || die "$package_label installed no tfm1 command into $venv" "set TFM1_PACKAGE to a tfm1 wheel or checkout"
    rollback_path=""
    receipt_add venv "$venv"
}

# What this installer takes from the bundle, into $bundle_dir and checked before anything is changed: tfm1's
# wheels (`tar -x` of plain names: the bundle is an uncompressed tar) and the Miniforge installer when one is
# installed. tfm1 setup --bundle then checks every member of the bundle against its manifest and lock.
unpack_bundle() {
    bundle_dir=$(mktemp -d "${TMPDIR:-/tmp}/tfm1-bundle.XXXXXX") ||
        die "cannot create a temporary directory" "check that \$TMPDIR is writable"
    set -- manifest.json tfm1
    [ "$miniforge_action" = reuse ] || set -- "$@" "files/$miniforge_sha256"
    tar -xf "$opt_bundle" -C "$bundle_dir" "$@" </dev/null ||
        die "could not read $* from the bundle $opt_bundle (damaged, or made without it)" \
            "check the bundle with tfm1 bundle --check FILE where it was built, or build it again"
    # The bundle's tfm1/ folder (tfm1's wheels and their requirements), every file checked against the sha256 its
    # manifest names before pip sees one. The manifest is tfm1's JSON, one key a line, a member's keys in the order
    # kind, name, sha256, size (json.dumps with indent and sort_keys): awk reads it without a JSON parser.
    bt_listed=$(awk '
        /^ *"name": "tfm1\// { name = $0; sub(/^ *"name": "/, "", name); sub(/",? *$/, "", name); next }
        /^ *"sha256": "/ && name != "" {
            sha = $0; sub(/^ *"sha256": "/, "", sha); sub(/",? *$/, "", sha); print sha " " name; name = ""
        }
    ' "$bundle_dir/manifest.json") || die "cannot read the bundle's manifest" "build the bundle again"
    bt_count=0
    while read -r bt_sha bt_name; do
        [ -n "$bt_name" ] || continue
        bt_sum=$(sha256_of "$bundle_dir/$bt_name") || bt_sum=""
        [ "$bt_sum" = "$bt_sha" ] ||
            die "the bundle's $bt_name does not have the sha256 its manifest names (changed or damaged); nothing was installed from it" \
                "copy the bundle again from where it was built, or build it again with tfm1 bundle"
        bt_count=$((bt_count + 1))
    done <<END_OF_LISTING
$bt_listed
END_OF_LISTING
    bt_files=0
    for bt_file in "$bundle_dir"/tfm1/*; do
        [ -f "$bt_file" ] && bt_files=$((bt_files + 1))
    done
    [ "$bt_count" -gt 0 ] && [ -f "$bundle_dir/tfm1/requirements.txt" ] ||
        die "the bundle $opt_bundle holds no tfm1 wheels" \
            "build it with tfm1 bundle --wheels DIR (tfm1's wheel and its dependencies'), or install tfm1 first"
    [ "$bt_files" -eq "$bt_count" ] ||
        die "the bundle's tfm1/ folder holds files its manifest does not name; nothing was installed from it" \
            "copy the bundle again from where it was built, or build it again with tfm1 bundle"
}

link_tfm1() {
    case "$(link_state)" in
        ok) return 0 ;;
        stale) rm -f "$link" ;;
    esac
    make_dir "$tfm1_dir/bin"
    ln -s "$tfm1_exe" "$link" || die "cannot create the link $link" "check the permissions of $tfm1_dir/bin"
    receipt_add link "$link"
}

path_hint() {
    case ":${PATH:-}:" in
        *":$tfm1_dir/bin:"*) return 0 ;;
    esac
    # shellcheck disable=SC2088 # shown to the user, whose shell expands the tilde
    case "${SHELL:-}" in
        */bash) ph_rc="~/.bash_profile" ;;
        */zsh | "") ph_rc="~/.zprofile" ;;
        *) ph_rc="~/.profile" ;;
    esac
    say "==> To run tfm1 by name, add it to your PATH (this installer edits no startup file):"
    say "    echo 'export PATH=\"\$HOME/.tfm1/bin:\$PATH\"' >> $ph_rc"
}

main() {
    set -u
    pinned
    read_options "$@"
    if [ "$opt_help" = 1 ]; then
        usage
        exit 0
    fi
    read_settings
    # Stray values point the Miniforge Python and the venv at another interpreter's library and break them.
    unset PYTHONHOME PYTHONPATH
    check_host
    check_rosetta "$@"
    check_tools
    find_miniforge
    find_tfm1
    show_plan
    if [ "$opt_dry_run" = 1 ]; then
        say "Dry run: nothing was changed."
        if [ -n "$tfm1_version" ]; then
            say "==> Running: $(handover print)"
            handover run
            exit $?
        fi
        exit 0
    fi
    confirm
    # Nothing installed here may be writable by other users, whatever the caller's umask: uninstall.sh deletes what
    # the receipt in ~/.tfm1 lists, and refuses a receipt or folder that others could have changed.
    umask go-w
    rollback_path=""
    work_dir=""
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    bundle_dir=""
    [ -z "$opt_bundle" ] || unpack_bundle
    [ "$miniforge_action" = reuse ] || install_miniforge
    install_tfm1
    link_tfm1
    find_tfm1 || die "$tfm1_exe does not run (tfm1 --version failed)" "run $tfm1_exe --version to see why"
    say "==> tfm1 is ready: $(tilde "$link") ($tfm1_version)"
    path_hint
    say "==> Running: $(handover print)"
    handover run
    main_status=$?
    if [ "$main_status" -ne 0 ]; then
        warn "tfm1 setup failed (exit $main_status); tfm1 itself is installed. After fixing what it reported, run: $(handover print)"
    fi
    exit "$main_status"
}

# Braces: a download cut anywhere in this line leaves an unclosed group, a syntax error, so nothing runs.
{ main "$@"; }
