#!/bin/bash
# Sandbox Debian hosts for tests and the demo: a debootstrap rootfs (built once, cached outside the repo)
# under a throw-away overlay, run in its own network, UTS, PID and mount namespace with sshd and Apache.
#
#   sandbox.sh up [N]     start hosts h1..hN on the bridge (idempotent)
#   sandbox.sh up-behind I VIA  start host hI whose only link is into host hVIA's namespace (a jump-host
#                         target: unreachable from this machine except through hVIA); idempotent
#   sandbox.sh down       stop every host; leaves no namespace, mount, process or nft rule behind
#   sandbox.sh status     one line per host; `status --json` for programs
#   sandbox.sh ssh hN CMD run CMD on a host as root, host key verified against the pinned key
#   sandbox.sh rootfs     only build the cached rootfs
#
# Environment: MODWSGI_CACHE (default /var/cache/modwsgi), SANDBOX_SUITE (default bookworm),
# SANDBOX_NET (first three octets of the private /24, default 10.219.73).
set -euo pipefail

CACHE="${MODWSGI_CACHE:-/var/cache/modwsgi}"
SUITE="${SANDBOX_SUITE:-bookworm}"
NET="${SANDBOX_NET:-10.219.73}"
# Private links of hosts behind another host: $NET_PRIVATE.(100+I).0/24.
NET_PRIVATE="${SANDBOX_NET_PRIVATE:-10.219}"
RUN=/run/modwsgi-sandbox
BRIDGE=mwsbr0
NFT_TABLE=modwsgi_sandbox
PACKAGES=openssh-server,apache2,apache2-dev,python3-dev,python3-venv,gcc,make,libc6-dev,curl,ca-certificates,procps,iproute2,sudo,less

say() { printf 'sandbox: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces, mounts and nftables rules); try: sudo $0 $*"
}

need_cmd() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return
    say "installing $pkg (for $cmd)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; } ||
        die "could not install $pkg"
}

# The Debian mirror this machine's apt already uses (never hard-coded).
mirror() {
    local uri=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list(.d)"
    echo "$uri"
}

rootfs_dir() { echo "$CACHE/rootfs-$SUITE"; }

build_rootfs() {
    local dir archive tmp
    dir=$(rootfs_dir)
    archive="$CACHE/rootfs-$SUITE.tar.zst"
    [ -f "$dir/.complete" ] && return
    mkdir -p "$CACHE"
    need_cmd zstd zstd
    if [ ! -f "$archive" ]; then
        need_cmd debootstrap debootstrap
        tmp="$CACHE/rootfs-$SUITE.building"
        rm -rf "$tmp"
        say "debootstrap $SUITE into $tmp (first run only; ~2 min)"
        debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$(mirror)" >"$CACHE/debootstrap-$SUITE.log" 2>&1 ||
            die "debootstrap failed; see $CACHE/debootstrap-$SUITE.log"
        chroot "$tmp" apt-get clean
        rm -f "$tmp"/etc/ssh/ssh_host_*
        # Apache is managed with apache2ctl here (no systemd inside): keep its FQDN warning quiet.
        echo "ServerName localhost" >"$tmp/etc/apache2/conf-available/servername.conf"
        chroot "$tmp" a2enconf -q servername >/dev/null
        say "archiving rootfs to $archive"
        tar -C "$tmp" --numeric-owner -cf - . | zstd -q -T0 -o "$archive.part"
        mv "$archive.part" "$archive"
        rm -rf "$tmp"
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    zstd -q -dc "$archive" | tar -C "$dir" --numeric-owner -xf -
    touch "$dir/.complete"
}

client_key() {
    local key="$CACHE/sandbox/id_ed25519"
    if [ ! -f "$key" ]; then
        mkdir -p "$CACHE/sandbox" && chmod 700 "$CACHE/sandbox"
        ssh-keygen -q -t ed25519 -N '' -C modwsgi-sandbox -f "$key"
    fi
    echo "$key"
}

# A non-root sudo user on every host: `deploy`, key with a passphrase, sudo asks for a password.
# Secrets are generated once per cache and handed over in files, never on a command line.
deploy_creds() {
    local dir="$CACHE/sandbox"
    mkdir -p "$dir" && chmod 700 "$dir"
    [ -f "$dir/deploy_passphrase" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/deploy_passphrase")
    [ -f "$dir/deploy_password" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/deploy_password")
    if [ ! -f "$dir/id_ed25519_deploy" ]; then
        # ssh-keygen takes the passphrase only as an argument; this machine's ps is ours alone.
        ssh-keygen -q -t ed25519 -C modwsgi-deploy -N "$(cat "$dir/deploy_passphrase")" -f "$dir/id_ed25519_deploy"
    fi
}

# Stable host keys per host name, so known_hosts entries survive a restart.
host_keys() {
    local name=$1 dir="$CACHE/sandbox/hostkeys/$1"
    if [ ! -f "$dir/ssh_host_ed25519_key" ]; then
        mkdir -p "$dir"
        ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$dir/ssh_host_ed25519_key"
    fi
    echo "$dir"
}

net_up() {
    mkdir -p "$RUN"
    # Remember the machine's setting once, so `down` can put it back.
    [ -f "$RUN/ip_forward.orig" ] || sysctl -n net.ipv4.ip_forward >"$RUN/ip_forward.orig"
    sysctl -qw net.ipv4.ip_forward=1
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add "$BRIDGE" type bridge
        ip addr add "$NET.1/24" dev "$BRIDGE"
        ip link set "$BRIDGE" up
    fi
    if ! nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
        nft -f - <<NFT
table ip $NFT_TABLE {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr $NET.0/24 oifname != "$BRIDGE" masquerade
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname "$BRIDGE" accept
        oifname "$BRIDGE" ct state established,related accept
    }
}
NFT
    fi
}

host_ip() { echo "$NET.$((10 + $1))"; }

# in_reach hN CMD...: run CMD where hN's address is reachable (this machine, or hVIA's namespace).
in_reach() {
    local name=$1
    shift
    if [ -f "$RUN/$name/via" ]; then ip netns exec "mws-$(cat "$RUN/$name/via")" "$@"; else "$@"; fi
}

running() { [ -f "$RUN/$1/pid" ] && kill -0 "$(cat "$RUN/$1/pid")" 2>/dev/null; }

# start_host I [VIA]: on the bridge, or (with VIA) on a private link into hVIA's namespace only.
start_host() {
    local i=$1 via=${2:-} name="h$1" ip state upper work root keys ns="mws-h$1" subnet
    subnet="$NET_PRIVATE.$((100 + i))"
    if [ -n "$via" ]; then ip="$subnet.2"; else ip=$(host_ip "$i"); fi
    state="$RUN/$name"
    if running "$name"; then return; fi
    stop_host "$name"
    mkdir -p "$state"
    upper="$CACHE/sandbox/hosts/$name/upper" work="$CACHE/sandbox/hosts/$name/work" root="$state/root"
    rm -rf "$CACHE/sandbox/hosts/$name" && mkdir -p "$upper" "$work" "$root"
    keys=$(host_keys "$name")

    # Files that differ per host go straight into the overlay's upper layer.
    install -d -m 700 "$upper/root/.ssh"
    install -m 600 "$(client_key).pub" "$upper/root/.ssh/authorized_keys"
    deploy_creds
    install -m 600 "$CACHE/sandbox/id_ed25519_deploy.pub" "$upper/root/.deploy.pub"
    (umask 077 && printf 'deploy:%s\n' "$(cat "$CACHE/sandbox/deploy_password")" >"$upper/root/.deploy.chpasswd")
    install -d "$upper/etc/ssh" "$upper/etc/pip" "$upper/usr/local/share/ca-certificates" "$upper/run/sshd" "$upper/root/.cache/pip"
    install -m 600 "$keys/ssh_host_ed25519_key" "$upper/etc/ssh/"
    install -m 644 "$keys/ssh_host_ed25519_key.pub" "$upper/etc/ssh/"
    echo "$name" >"$upper/etc/hostname"
    printf '127.0.0.1 localhost\n%s %s\n' "$ip" "$name" >"$upper/etc/hosts"
    cp /etc/resolv.conf "$upper/etc/resolv.conf"
    # Mirror this machine's TLS trust (egress proxies) so apt and pip inside work as they do here.
    cp /usr/local/share/ca-certificates/*.crt "$upper/usr/local/share/ca-certificates/" 2>/dev/null || true
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$upper/etc/pip.conf"
    mkdir -p "$CACHE/sandbox/pip-$SUITE"

    ip netns add "$ns"
    ip link add "veth-$name" type veth peer name eth0 netns "$ns"
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    if [ -z "$via" ]; then
        ip link set "veth-$name" master "$BRIDGE" up
        ip -n "$ns" route add default via "$NET.1"
    else
        # The machine end goes into hVIA's namespace, which routes and masquerades for it (so pip still
        # works inside); this machine itself has no route to the private subnet.
        ip link set "veth-$name" netns "mws-h$via"
        ip -n "mws-h$via" addr add "$subnet.1/24" dev "veth-$name"
        ip -n "mws-h$via" link set "veth-$name" up
        ip -n "$ns" route add default via "$subnet.1"
        ip netns exec "mws-h$via" sysctl -qw net.ipv4.ip_forward=1
        ip netns exec "mws-h$via" nft -f - <<NFT
table ip modwsgi_behind_$name {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr $subnet.0/24 oifname != "veth-$name" masquerade
    }
}
NFT
        echo "h$via" >"$state/via"
    fi

    # Everything mounted below lives in the host's private mount namespace and vanishes with it.
    local lower
    lower=$(rootfs_dir)
    # shellcheck disable=SC2016 # expanded by the inner sh, from its arguments
    setsid ip netns exec "$ns" unshare --pid --fork --kill-child --uts --mount --propagation private \
        /bin/sh -c '
            set -e
            mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
            mount --rbind /dev "$4/dev"
            mount -t proc proc "$4/proc"
            mount -t sysfs sysfs "$4/sys"
            mount -t tmpfs tmpfs "$4/run"
            mount -t tmpfs tmpfs "$4/tmp"
            mount --bind "$5" "$4/root/.cache/pip"
            hostname "$6"
            exec chroot "$4" /bin/sh -c "
                mkdir -p /run/sshd /run/apache2 /run/lock
                useradd -m -s /bin/sh -G sudo deploy && chpasswd </root/.deploy.chpasswd && rm -f /root/.deploy.chpasswd
                install -d -o deploy -g deploy -m 700 /home/deploy/.ssh
                install -o deploy -g deploy -m 600 /root/.deploy.pub /home/deploy/.ssh/authorized_keys
                update-ca-certificates >/dev/null 2>&1 || true
                apache2ctl start
                exec /usr/sbin/sshd -D -e"
        ' sandbox "$lower" "$upper" "$work" "$root" "$CACHE/sandbox/pip-$SUITE" "$name" \
        </dev/null >"$state/sshd.log" 2>&1 &
    echo $! >"$state/pid"
    echo "$ip" >"$state/address"
    cp "$keys/ssh_host_ed25519_key.pub" "$state/host_key.pub"

    # Ready = sshd answers with the expected host key (a listening port alone is not enough).
    for _ in $(seq 1 100); do
        if in_reach "$name" ssh-keyscan -T 1 -t ed25519 "$ip" 2>/dev/null | grep -qF "$(cut -d' ' -f2 "$keys/ssh_host_ed25519_key.pub")"; then
            say "$name up at $ip"
            return
        fi
        running "$name" || break
        sleep 0.2
    done
    cat "$state/sshd.log" >&2 || true
    die "$name did not start (see above)"
}

stop_host() {
    local name=$1 state="$RUN/$1" pid
    if [ -f "$state/pid" ]; then
        pid=$(cat "$state/pid")
        # unshare blocks SIGTERM while it waits: stop its child, the namespace's PID 1 (sshd), and every
        # process in the namespace dies with it.
        pkill -TERM -P "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -9 "$pid" 2>/dev/null || true
    fi
    ip netns del "mws-$name" 2>/dev/null || true
    ip link del "veth-$name" 2>/dev/null || true
    rm -rf "$state" "$CACHE/sandbox/hosts/$name"
}

cmd_up() {
    local count=${1:-1} i
    need_root up
    need_cmd nft nftables
    need_cmd ssh-keyscan openssh-client
    build_rootfs
    net_up
    mkdir -p "$RUN"
    for i in $(seq 1 "$count"); do start_host "$i"; done
}

cmd_up_behind() {
    local i=${1:?usage: sandbox.sh up-behind I VIA} via=${2:?usage: sandbox.sh up-behind I VIA}
    need_root up-behind
    running "h$via" || die "h$via is not up: start it first (sandbox.sh up $via, or up-behind)"
    [ "$i" != "$via" ] || die "a host cannot sit behind itself"
    start_host "$i" "$via"
}

cmd_down() {
    need_root down
    local d
    for d in "$RUN"/h*; do [ -e "$d" ] && stop_host "$(basename "$d")"; done
    for d in /run/netns/mws-h*; do [ -e "$d" ] && ip netns del "$(basename "$d")"; done
    nft delete table ip "$NFT_TABLE" 2>/dev/null || true
    ip link del "$BRIDGE" 2>/dev/null || true
    [ -f "$RUN/ip_forward.orig" ] && sysctl -qw net.ipv4.ip_forward="$(cat "$RUN/ip_forward.orig")"
    rm -rf "$RUN"
    say "down"
}

cmd_status() {
    local json=${1:-} d name first=1
    [ "$json" = --json ] && printf '['
    for d in "$RUN"/h*; do
        [ -e "$d" ] || continue
        name=$(basename "$d")
        if [ "$json" = --json ]; then
            [ $first = 1 ] || printf ','
            first=0
            printf '{"name":"%s","address":"%s","port":22,"user":"root","privateKeyFile":"%s","hostKey":"%s","running":%s,"via":"%s",' \
                "$name" "$(cat "$d/address")" "$CACHE/sandbox/id_ed25519" "$(cut -d' ' -f1,2 "$d/host_key.pub")" \
                "$(running "$name" && echo true || echo false)" "$(cat "$d/via" 2>/dev/null || true)"
            printf '"deploy":{"user":"deploy","privateKeyFile":"%s","passphraseFile":"%s","sudoPasswordFile":"%s"}}' \
                "$CACHE/sandbox/id_ed25519_deploy" "$CACHE/sandbox/deploy_passphrase" "$CACHE/sandbox/deploy_password"
        else
            printf '%s %s %s\n' "$name" "$(cat "$d/address")" "$(running "$name" && echo running || echo stopped)"
        fi
    done
    [ "$json" = --json ] && printf ']\n'
    return 0
}

# OpenSSH to a running host with StrictHostKeyChecking against the key the sandbox generated for it.
cmd_ssh() {
    local name=${1:?usage: sandbox.sh ssh hN CMD} known
    shift
    [ -f "$RUN/$name/address" ] || die "$name is not up (sandbox.sh up)"
    known="$RUN/$name/known_hosts"
    printf '%s %s\n' "$(cat "$RUN/$name/address")" "$(cut -d' ' -f1,2 "$RUN/$name/host_key.pub")" >"$known"
    in_reach "$name" ssh -i "$CACHE/sandbox/id_ed25519" -o UserKnownHostsFile="$known" -o StrictHostKeyChecking=yes \
        -o BatchMode=yes -o LogLevel=ERROR "root@$(cat "$RUN/$name/address")" "$@"
}

main() {
    case "${1:-}" in
        ssh) shift; cmd_ssh "$@" ;;
        up-behind) shift; cmd_up_behind "$@" ;;
        up) shift; cmd_up "$@" ;;
        down) cmd_down ;;
        status) shift; cmd_status "$@" ;;
        rootfs) need_root rootfs; build_rootfs ;;
        *) echo "usage: $0 up [N] | up-behind I VIA | down | status [--json] | ssh hN CMD | rootfs" >&2; exit 2 ;;
    esac
}

main "$@"
