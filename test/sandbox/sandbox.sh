#!/bin/bash
# Sandbox Debian hosts for tests and the demo: a debootstrap rootfs (built once, cached outside the repo)
# under a throw-away overlay, run in its own network, UTS, PID and mount namespace with sshd and Apache.
#
#   sandbox.sh up [N]     start hosts h1..hN on the bridge (idempotent)
#   sandbox.sh up-behind I VIA  start host hI whose only link is into host hVIA's namespace (a jump-host
#                         target: unreachable from this machine except through hVIA); idempotent
#   sandbox.sh up-systemd I  start only host hI on the bridge, with systemd as its PID 1 (see below);
#                         idempotent; an hI running without systemd is restarted with it
#   sandbox.sh up-one I   start only host hI on the bridge (idempotent; leaves every other host alone)
#   sandbox.sh down-one I stop only host hI; its overlay is removed, so the next up-one starts it fresh
#   sandbox.sh down       stop every host; leaves no namespace, mount, process or nft rule behind
#   sandbox.sh status     one line per host; `status --json` for programs
#   sandbox.sh ssh hN CMD run CMD on a host as root, host key verified against the pinned key
#   sandbox.sh rootfs [systemd]  only build the cached rootfs (and its systemd variant)
#   sandbox.sh mirror     print the Debian mirror this machine's apt uses (what the hosts install from)
#
# Environment: MODWSGI_CACHE (default /var/cache/modwsgi), SANDBOX_SUITE (default bookworm),
# SANDBOX_NET (first three octets of the private /24, default 10.219.73).
#
# Hosts started by `up` and `up-behind` have sshd as PID 1 and no init: Apache is started with apache2ctl.
# `up-systemd` hosts boot systemd as PID 1 instead, the way real servers run Apache (apache2.service and
# ssh.service; the provider's `systemctl` path). Their rootfs is the cached one plus systemd, systemd-sysv and
# dbus (its own archive, rootfs-SUITE-systemd.tar.zst, made on first use). They get their own IPC and cgroup
# namespace too, below a cgroup of their own (cgroup v2; removed by `down`), a private /dev, and read-only
# /sys and /proc/sys (no sysctl or udev rule of theirs reaches this machine); `up-systemd` waits for
# `systemctl is-system-running` to say running or degraded (60 s at most, else it fails showing the journal's
# tail). Their logs are in their journal (`sandbox.sh ssh h10 journalctl`). `status` names each host's
# PID 1 ("init": "sshd" or "systemd" with --json).
set -euo pipefail

CACHE="${MODWSGI_CACHE:-/var/cache/modwsgi}"
SUITE="${SANDBOX_SUITE:-bookworm}"
NET="${SANDBOX_NET:-10.219.73}"
# PID 1 of the hosts this call starts: sshd, or systemd (up-systemd).
INIT=sshd
# Private links of hosts behind another host: $NET_PRIVATE.(100+I).0/24.
NET_PRIVATE="${SANDBOX_NET_PRIVATE:-10.219}"
RUN=/run/modwsgi-sandbox
BRIDGE=mwsbr0
NFT_TABLE=modwsgi_sandbox
# systemd hosts: added to a copy of the rootfs (without recommends: no udev, no timesyncd).
SYSTEMD_PACKAGES="systemd systemd-sysv dbus"
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

base_rootfs_dir() { echo "$CACHE/rootfs-$SUITE"; }
# The lower layer of the hosts this call starts.
rootfs_dir() { if [ "$INIT" = systemd ]; then echo "$CACHE/rootfs-$SUITE-systemd"; else base_rootfs_dir; fi; }

build_rootfs() {
    local dir archive tmp
    dir=$(base_rootfs_dir)
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

# The rootfs of systemd hosts: the base one plus systemd and D-Bus, archived on its own, so the base rootfs
# (and every host using it) stays as it is. Built in a private mount and PID namespace: nothing the packages'
# scripts might start survives, and policy-rc.d keeps them from starting services at all.
build_rootfs_systemd() {
    local dir="$CACHE/rootfs-$SUITE-systemd" archive="$CACHE/rootfs-$SUITE-systemd.tar.zst" tmp
    [ -f "$dir/.complete" ] && return
    build_rootfs
    if [ ! -f "$archive" ]; then
        tmp="$dir.building"
        rm -rf "$tmp"
        say "adding systemd to a copy of the $SUITE rootfs in $tmp (first run only; ~1 min)"
        cp -a "$(base_rootfs_dir)" "$tmp"
        rm -f "$tmp/.complete"
        printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
        chmod 755 "$tmp/usr/sbin/policy-rc.d"
        cp "$tmp/etc/resolv.conf" "$tmp/etc/resolv.conf.orig"
        cp /etc/resolv.conf "$tmp/etc/resolv.conf"
        # shellcheck disable=SC2016 # expanded by the inner sh, from its arguments
        unshare --mount --pid --fork --kill-child --propagation private sh -c '
            mount -t proc proc "$1/proc"
            chroot "$1" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends $2 && apt-get clean"' sandbox "$tmp" "$SYSTEMD_PACKAGES" \
            >"$CACHE/systemd-$SUITE.log" 2>&1 || die "installing $SYSTEMD_PACKAGES failed; see $CACHE/systemd-$SUITE.log"
        mv "$tmp/etc/resolv.conf.orig" "$tmp/etc/resolv.conf"
        rm -f "$tmp/usr/sbin/policy-rc.d"
        say "archiving rootfs to $archive"
        tar -C "$tmp" --numeric-owner -cf - . | zstd -q -T0 -o "$archive.part"
        mv "$archive.part" "$archive"
        # The tree just archived is the rootfs: no need to unpack it again.
        rm -rf "$dir" && mv "$tmp" "$dir"
    else
        rm -rf "$dir" && mkdir -p "$dir"
        zstd -q -dc "$archive" | tar -C "$dir" --numeric-owner -xf -
    fi
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

# host_mac I: hI's eth0 address, locally administered and unique per host number.
host_mac() {
    printf '02:6d:77:00:%02x:%02x\n' $(($1 / 256 % 256)) $(($1 % 256))
}

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
    if [ "$INIT" = systemd ]; then mask_units "$upper"; fi
    echo "$name" >"$upper/etc/hostname"
    printf '127.0.0.1 localhost\n%s %s\n' "$ip" "$name" >"$upper/etc/hosts"
    cp /etc/resolv.conf "$upper/etc/resolv.conf"
    # Mirror this machine's TLS trust (egress proxies) so apt and pip inside work as they do here.
    cp /usr/local/share/ca-certificates/*.crt "$upper/usr/local/share/ca-certificates/" 2>/dev/null || true
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$upper/etc/pip.conf"
    mkdir -p "$CACHE/sandbox/pip-$SUITE"

    ip netns add "$ns"
    # The host's MAC address follows from its number, so a host made fresh keeps the old one's: with a new random
    # MAC, this machine's ARP entry for the address (and a via host's) would point at the stopped host's MAC for
    # as long as it stays "reachable" (15-45 s), and nothing could connect to the new host in that time.
    ip link add "veth-$name" type veth peer name eth0 address "$(host_mac "$i")" netns "$ns"
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

    echo "$ip" >"$state/address"
    cp "$keys/ssh_host_ed25519_key.pub" "$state/host_key.pub"
    echo "$INIT" >"$state/init"
    if [ "$INIT" = systemd ]; then
        launch_systemd "$name" "$ns" "$upper" "$work" "$root" "$state"
        wait_booted "$name"
    else
        launch_sshd "$name" "$ns" "$upper" "$work" "$root" "$state"
    fi

    # Ready = sshd answers with the expected host key (a listening port alone is not enough).
    for _ in $(seq 1 100); do
        if in_reach "$name" ssh-keyscan -T 1 -t ed25519 "$ip" 2>/dev/null | grep -qF "$(cut -d' ' -f2 "$keys/ssh_host_ed25519_key.pub")"; then
            say "$name up at $ip$([ "$INIT" = sshd ] || echo " (PID 1: $INIT)")"
            return
        fi
        running "$name" || break
        sleep 0.2
    done
    cat "$state/sshd.log" "$state/console.log" >&2 2>/dev/null || true
    die "$name did not start (see above)"
}

# launch_sshd NAME NS UPPER WORK ROOT STATE: PID 1 is sshd; Apache is started by apache2ctl.
launch_sshd() {
    local name=$1 ns=$2 upper=$3 work=$4 root=$5 state=$6
    # Everything mounted below lives in the host's private mount namespace and vanishes with it.
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
        ' sandbox "$(rootfs_dir)" "$upper" "$work" "$root" "$CACHE/sandbox/pip-$SUITE" "$name" \
        </dev/null >"$state/sshd.log" 2>&1 &
    echo $! >"$state/pid"
}

# Units a systemd host must not run: consoles to log in on, and what would reach past its namespaces into this
# machine (kernel modules, binfmt handlers, debug and tracing filesystems, hugepages, FUSE, configfs).
SYSTEMD_MASKED="getty.target console-getty.service systemd-modules-load.service systemd-binfmt.service
proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount sys-kernel-debug.mount sys-kernel-tracing.mount
sys-kernel-config.mount sys-fs-fuse-connections.mount dev-hugepages.mount"

# mask_units UPPER: in the host's own layer, as `systemctl mask` would.
mask_units() {
    local u
    install -d "$1/etc/systemd/system"
    for u in $SYSTEMD_MASKED; do ln -sfn /dev/null "$1/etc/systemd/system/$u"; done
}

# The cgroup v2 hierarchy of this machine (where it is mounted: /sys/fs/cgroup, or .../unified when hybrid).
cgroup2_root() {
    awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

# A systemd host's own cgroup: its unshare sits in it, its PID 1 in payload/, the root of the host's cgroup
# namespace, where systemd makes its slices and scopes.
host_cgroup() {
    local cg
    cg=$(cgroup2_root)
    [ -n "$cg" ] || die "systemd hosts need the cgroup v2 hierarchy mounted on this machine (none in /proc/self/mounts)"
    echo "$cg/modwsgi-sandbox-$1"
}

# launch_systemd NAME NS UPPER WORK ROOT STATE: PID 1 is systemd (container=other), which starts
# ssh.service and apache2.service. Besides the namespaces of the sshd hosts it gets its own IPC and cgroup
# namespace, a /dev with only the harmless nodes (no console of this machine), /sys and /proc/sys read-only
# (so no unit writes this machine's sysctls or triggers its devices), /run and /tmp as tmpfs.
launch_systemd() {
    local name=$1 ns=$2 upper=$3 work=$4 root=$5 state=$6 cg
    cg=$(host_cgroup "$name")
    remove_cgroup "$cg"
    mkdir -p "$cg/payload"
    # nsenter, not `ip netns exec`: that one remounts /sys, which would hide the cgroup tree from the inner sh.
    # shellcheck disable=SC2016 # expanded by the inner sh, from its arguments
    setsid sh -c 'echo 0 >"$1/cgroup.procs" && shift && exec "$@"' sandbox "$cg" \
        nsenter --net="/run/netns/$ns" unshare --pid --fork --kill-child --uts --ipc --mount --propagation private \
        /bin/sh -c '
            set -e
            mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
            mount -t proc proc "$4/proc"
            for p in sys sysrq-trigger; do
                [ ! -e "$4/proc/$p" ] || { mount --bind "$4/proc/$p" "$4/proc/$p" && mount -o remount,bind,ro "$4/proc/$p"; }
            done
            mount -t sysfs -o ro sysfs "$4/sys"
            mount -t tmpfs -o mode=755,nosuid tmpfs "$4/dev"
            for d in null zero full random urandom tty; do touch "$4/dev/$d"; mount --bind "/dev/$d" "$4/dev/$d"; done
            mkdir "$4/dev/pts" "$4/dev/shm"
            mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$4/dev/pts"
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$4/dev/shm"
            ln -s pts/ptmx "$4/dev/ptmx"
            ln -s /proc/self/fd "$4/dev/fd"
            ln -s /proc/self/fd/0 "$4/dev/stdin"
            ln -s /proc/self/fd/1 "$4/dev/stdout"
            ln -s /proc/self/fd/2 "$4/dev/stderr"
            mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$4/run"
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$4/tmp"
            mount --bind "$5" "$4/root/.cache/pip"
            hostname "$6"
            chroot "$4" /bin/sh -c "
                useradd -m -s /bin/sh -G sudo deploy && chpasswd </root/.deploy.chpasswd && rm -f /root/.deploy.chpasswd
                install -d -o deploy -g deploy -m 700 /home/deploy/.ssh
                install -o deploy -g deploy -m 600 /root/.deploy.pub /home/deploy/.ssh/authorized_keys
                update-ca-certificates >/dev/null 2>&1 || true"
            # This sh (PID 1 here) moves into payload/ and makes it the root of a new cgroup namespace; systemd
            # then sees only its own subtree, mounted where it looks for it.
            echo 0 >"$7/payload/cgroup.procs"
            exec unshare --cgroup /bin/sh -c "
                mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 \"\$1/sys/fs/cgroup\"
                exec chroot \"\$1\" /usr/bin/env container=other /lib/systemd/systemd" sandbox "$4"
        ' sandbox "$(rootfs_dir)" "$upper" "$work" "$root" "$CACHE/sandbox/pip-$SUITE" "$name" "$cg" \
        </dev/null >"$state/console.log" 2>&1 &
    echo $! >"$state/pid"
    # Not this shell's job: a host stopped by this same call (a failed boot) must not be reported as killed.
    disown $!
}

# host_pid1 NAME: this machine's PID of the host's PID 1 (the child of its unshare), or nothing.
host_pid1() {
    [ -f "$RUN/$1/pid" ] && pgrep -P "$(cat "$RUN/$1/pid")" | head -n 1
}

# in_host NAME CMD...: run CMD inside a running host, in all its namespaces and under its root (no SSH).
in_host() {
    local name=$1 p1
    shift
    p1=$(host_pid1 "$name")
    [ -n "$p1" ] || return 1
    nsenter --target "$p1" --mount --uts --ipc --net --pid --cgroup --root --wd "$@"
}

# A systemd host is booted when `systemctl is-system-running` says running or degraded (a unit a container
# cannot run may fail; Apache and sshd are checked by whoever uses the host). 60 s at most; else the failed
# units and the journal's tail are shown and the host is stopped.
wait_booted() {
    local name=$1 st="" why="did not finish booting within 60 s"
    for _ in $(seq 1 300); do
        running "$name" || { why="stopped"; break; }
        st=$(in_host "$name" systemctl is-system-running 2>/dev/null) || true
        case "$st" in running | degraded) return 0 ;; esac
        sleep 0.2
    done
    say "$name: systemd $why (is-system-running: ${st:-no answer})"
    in_host "$name" systemctl --no-pager --failed >&2 || true
    in_host "$name" journalctl --no-pager -n 40 >&2 || cat "$RUN/$name/console.log" >&2 || true
    # Nothing stays half-booted: the next up-systemd starts it afresh.
    stop_host "$name"
    die "$name did not boot (see above)"
}

# remove_cgroup DIR: removes a stopped host's cgroup tree (systemd's slices and scopes in it), deepest first.
remove_cgroup() {
    [ -d "$1" ] || return 0
    find "$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ ! -d "$1" ] || say "warning: could not remove the cgroup $1"
}

stop_host() {
    local name=$1 state="$RUN/$1" pid
    if [ "$(cat "$state/init" 2>/dev/null)" = systemd ]; then stop_systemd "$name"; fi
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

# A systemd host powers off (SIGRTMIN+4 to its PID 1: units stop in order, then systemd exits), 20 s at
# most; then whatever is left in its cgroup is killed, and the cgroup tree removed once it is empty.
stop_systemd() {
    local name=$1 pid p1 cg
    cg=$(host_cgroup "$name")
    pid=$(cat "$RUN/$name/pid" 2>/dev/null || true)
    p1=$(host_pid1 "$name" || true)
    if [ -n "$p1" ]; then
        kill -s RTMIN+4 "$p1" 2>/dev/null || true
        for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    if [ -d "$cg" ]; then
        echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
        for _ in $(seq 1 50); do grep -q '^populated 0' "$cg/cgroup.events" 2>/dev/null && break; sleep 0.1; done
        remove_cgroup "$cg"
    fi
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

cmd_up_systemd() {
    local i=${1:?usage: sandbox.sh up-systemd I}
    need_root up-systemd
    need_cmd nft nftables
    need_cmd ssh-keyscan openssh-client
    INIT=systemd
    build_rootfs_systemd
    net_up
    if running "h$i" && [ "$(cat "$RUN/h$i/init" 2>/dev/null)" != systemd ]; then
        say "h$i runs without systemd: restarting it with systemd as PID 1"
        stop_host "h$i"
    fi
    start_host "$i"
}

# Only hI: the bridge and its nft rules are shared, so they are made if missing and never removed here.
cmd_up_one() {
    local i=${1:?usage: sandbox.sh up-one I}
    need_root up-one
    need_cmd nft nftables
    need_cmd ssh-keyscan openssh-client
    build_rootfs
    net_up
    start_host "$i"
}

# stop_host removes the host's overlay (upper and work dirs), so nothing of this run is left for the next.
cmd_down_one() {
    local i=${1:?usage: sandbox.sh down-one I}
    need_root down-one
    stop_host "h$i"
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
    # Cgroups of systemd hosts whose state is gone (their processes are; see stop_systemd).
    for d in "$(cgroup2_root)"/modwsgi-sandbox-h*; do
        [ -d "$d" ] && { echo 1 >"$d/cgroup.kill" 2>/dev/null || true; sleep 0.2; remove_cgroup "$d"; }
    done
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
            printf '{"name":"%s","address":"%s","port":22,"user":"root","privateKeyFile":"%s","hostKey":"%s","running":%s,"via":"%s","init":"%s",' \
                "$name" "$(cat "$d/address")" "$CACHE/sandbox/id_ed25519" "$(cut -d' ' -f1,2 "$d/host_key.pub")" \
                "$(running "$name" && echo true || echo false)" "$(cat "$d/via" 2>/dev/null || true)" \
                "$(cat "$d/init" 2>/dev/null || echo sshd)"
            printf '"deploy":{"user":"deploy","privateKeyFile":"%s","passphraseFile":"%s","sudoPasswordFile":"%s"}}' \
                "$CACHE/sandbox/id_ed25519_deploy" "$CACHE/sandbox/deploy_passphrase" "$CACHE/sandbox/deploy_password"
        else
            printf '%s %s %s %s\n' "$name" "$(cat "$d/address")" "$(running "$name" && echo running || echo stopped)" \
                "$(cat "$d/init" 2>/dev/null || echo sshd)"
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
        up-systemd) shift; cmd_up_systemd "$@" ;;
        up-one) shift; cmd_up_one "$@" ;;
        down-one) shift; cmd_down_one "$@" ;;
        up) shift; cmd_up "$@" ;;
        down) cmd_down ;;
        status) shift; cmd_status "$@" ;;
        mirror) mirror ;;
        rootfs) need_root rootfs; build_rootfs; if [ "${2:-}" = systemd ]; then build_rootfs_systemd; fi ;;
        *) echo "usage: $0 up [N] | up-behind I VIA | up-systemd I | up-one I | down-one I | down | status [--json] | ssh hN CMD | rootfs [systemd] | mirror" >&2; exit 2 ;;
    esac
}

main "$@"
