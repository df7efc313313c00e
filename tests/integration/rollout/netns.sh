# Source first (before ../lib.sh): as root, runs the test again inside a
# private network namespace (unshare --net: its own lo, gone when the test
# ends, nothing to clean up) with ROLLOUT_NETNS=1; lo is brought up by
# rollout_lib.sh, with ROLLOUT_NETNS_MTU when set.
if [ "$(id -u)" -eq 0 ] && [ -z "${ROLLOUT_NETNS:-}" ] && unshare --net true 2>/dev/null; then
  exec unshare --net env ROLLOUT_NETNS=1 bash "$0" "$@"
fi
