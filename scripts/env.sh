# Shared settings for the scripts (sourced, not run).
# A build directory outside the checkout, so fresh clones on one machine reuse earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcall/target}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
