# shellcheck shell=sh
# health-check: the check deploy-app makes after a switch, alone: for an app just mounted (its first release went
# live with the mount, so there is nothing to switch back to).
# Usage: health-check.sh URL HOST EXPECT TIMEOUT
main() {
    with_lock health-check
    health_check "$@" || die "the health check of $1 failed"
}
main "$@"
